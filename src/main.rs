#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tributary::cli::main_with(return_freed_memory_soon)
}

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, mimalloc.h; the sys
/// crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The daemon gives memory it has freed back to the system at once rather than after
/// mimalloc's 1 s: on a 105,000-story store it held 176–193 MB after wrk with the default,
/// 160–167 MB so (BENCHMARKS session 25, item 3), at no measurable cost in requests per
/// second. One-shot commands keep the default: purging at once cost a cold `fetch` half
/// again as much system time. `MIMALLOC_PURGE_DELAY` set in the environment still decides.
fn return_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option value, which mimalloc reads when it next purges; callable at
        // any time from any thread.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}
