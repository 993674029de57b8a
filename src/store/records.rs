//! A story's record in the `items` tree: MessagePack, LZ4-compressed; the JSON records of
//! older stores still read.

use crate::model::Item;

use super::StoreError;

/// First byte of a story record: its JSON, LZ4-compressed (block format, with its length
/// first). A record that starts with `{` is plain JSON, as every story stored before this
/// format was.
pub(super) const LZ4_RECORD: u8 = 1;

/// First byte of a story record as written now: MessagePack with named fields,
/// LZ4-compressed like [`LZ4_RECORD`]. JSON escaped every quote of the HTML body and wrote
/// dates and ids a character at a time: serializing was half of the cost of encoding a record.
pub(super) const PACKED_RECORD: u8 = 2;

/// A story's record in the `items` tree, compressed: feed HTML shrinks to about a third, and
/// sled copies and writes every record several times as its pages split and are rewritten.
pub(super) fn encode_item(item: &Item) -> Vec<u8> {
    ENCODER.with_borrow_mut(
        |Encoder {
             packed,
             table,
             block,
         }| {
            packed.clear();
            rmp_serde::encode::write_named(packed, item).expect("items serialize");
            let room = lz4_flex::block::get_maximum_output_size(packed.len());
            if block.len() < room {
                block.resize(room, 0);
            }
            let len = lz4_flex::block::compress_into_with_table(packed, &mut block[..room], table)
                .expect("the block has room for the worst case");
            // Marker, length (little-endian u32, as `decode_item` reads it), then the block.
            let mut out = Vec::with_capacity(5 + len);
            out.push(PACKED_RECORD);
            out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            out.extend_from_slice(&block[..len]);
            // A very long story (a whole book in a feed) does not keep its buffers' size held.
            for buffer in [packed, block] {
                if buffer.capacity() > KEPT_BUFFER {
                    *buffer = Vec::new();
                }
            }
            out
        },
    )
}

pub(super) fn decode_item(bytes: &[u8]) -> Result<Item, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        tree: "items",
        message,
    };
    let unpack = |packed: &[u8]| {
        // LZ4 expands at most ~255 times: a larger length is damage, not a reason to
        // allocate it.
        let (len, block) = packed
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("compressed record too short".into()))?;
        let len = u32::from_le_bytes(*len) as usize;
        if len > block.len().saturating_mul(255).saturating_add(16) {
            return Err(corrupt(format!("compressed record claims {len} bytes")));
        }
        lz4_flex::block::decompress(block, len).map_err(|e| corrupt(e.to_string()))
    };
    match bytes.split_first() {
        Some((&PACKED_RECORD, packed)) => {
            rmp_serde::from_slice(&unpack(packed)?).map_err(|e| corrupt(e.to_string()))
        }
        Some((&LZ4_RECORD, packed)) => {
            serde_json::from_slice(&unpack(packed)?).map_err(|e| corrupt(e.to_string()))
        }
        _ => serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string())),
    }
}

/// The most an [`Encoder`] buffer keeps between records.
const KEPT_BUFFER: usize = 1 << 20;

/// What encoding a record needs besides the record, kept by each thread for the next one:
/// allocating LZ4's hash table for every record (and zeroing it) and growing the buffers
/// again took a seventh of the encoding's instructions.
#[derive(Default)]
struct Encoder {
    /// The record as MessagePack.
    packed: Vec<u8>,
    /// LZ4's hash table, kept rather than allocated for every record.
    table: lz4_flex::block::CompressTable,
    /// The compressed block, before it is copied out at its length.
    block: Vec<u8>,
}

thread_local! {
    static ENCODER: std::cell::RefCell<Encoder> = std::cell::RefCell::default();
}
