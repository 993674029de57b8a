//! The words and dates Tributary writes in its readers' language, in a digest or on a feed's
//! web page: English, Albanian, and Serbian in Latin or Cyrillic script. Story titles and
//! summaries stay as their sources wrote them; this is everything said around them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The language of a digest, or of a feed's web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Albanian.
    Sq,
    /// Serbian, Latin script.
    SrLatn,
    /// Serbian, Cyrillic script.
    SrCyrl,
}

/// Every tag [`Locale::parse`] reads, as written in the config.
pub const LOCALES: &[&str] = &["en", "sq", "sr-Latn", "sr-Cyrl"];

impl Locale {
    /// The locale of a BCP 47 tag (any case): `en`, `sq`, `sr-Latn` (or `sr`), `sr-Cyrl`,
    /// region subtags aside (`sq-XK`, `sr-Latn-RS`).
    pub fn parse(tag: &str) -> Option<Locale> {
        let lower = tag.trim().to_ascii_lowercase();
        let mut parts = lower.split(['-', '_']);
        let language = parts.next()?;
        let script = parts.next().filter(|p| p.len() == 4);
        match (language, script) {
            ("en", _) => Some(Locale::En),
            ("sq", _) => Some(Locale::Sq),
            ("sr", Some("cyrl")) => Some(Locale::SrCyrl),
            ("sr", None | Some("latn")) => Some(Locale::SrLatn),
            _ => None,
        }
    }

    /// The locale of a digest that sets none: the language it is limited to, when it is one
    /// this module speaks (`["sq"]` → Albanian); English otherwise.
    pub fn for_languages(languages: &[String]) -> Locale {
        match languages {
            [one] => Locale::parse(one).unwrap_or_default(),
            _ => Locale::En,
        }
    }

    /// Its BCP 47 tag, for the `lang` of a digest's HTML part or of a page.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Sq => "sq",
            Locale::SrLatn => "sr-Latn",
            Locale::SrCyrl => "sr-Cyrl",
        }
    }

    /// What the templates say in this language.
    pub fn labels(self) -> Labels {
        match self {
            Locale::En => Labels {
                other_news: "Other news",
                no_stories: "No new stories arrived in this period.",
                also_in: "Also in:",
                sent_by: "sent by Tributary: the stories first seen in the period above.",
                unsubscribe: "Unsubscribe",
                left_out: "Left out to keep this message short:",
            },
            Locale::Sq => Labels {
                other_news: "Lajme të tjera",
                no_stories: "Në këtë periudhë nuk erdhi asnjë lajm i ri.",
                also_in: "Edhe në:",
                sent_by: "dërguar nga Tributary: lajmet e shfaqura për herë të parë në periudhën e mësipërme.",
                unsubscribe: "Çregjistrohu",
                left_out: "Lënë jashtë që mesazhi të mbetet i shkurtër:",
            },
            Locale::SrLatn => Labels {
                other_news: "Ostale vesti",
                no_stories: "U ovom periodu nije stigla nijedna nova vest.",
                also_in: "Takođe u:",
                sent_by: "šalje Tributary: vesti prvi put viđene u navedenom periodu.",
                unsubscribe: "Odjavite se",
                left_out: "Izostavljeno da bi poruka ostala kratka:",
            },
            Locale::SrCyrl => Labels {
                other_news: "Остале вести",
                no_stories: "У овом периоду није стигла ниједна нова вест.",
                also_in: "Такође у:",
                sent_by: "шаље Tributary: вести први пут виђене у наведеном периоду.",
                unsubscribe: "Одјавите се",
                left_out: "Изостављено да би порука остала кратка:",
            },
        }
    }

    /// What a feed's web page says around its stories in this language.
    pub fn page_labels(self) -> PageLabels {
        match self {
            Locale::En => PageLabels {
                subscribe: "Subscribe:",
                no_stories: "No stories yet.",
                updated: "updated",
                every_feed: "every feed and source",
                attachment: "Attachment",
                untitled: "(untitled)",
                archive: "Archive",
                no_issues: "No issues yet.",
            },
            Locale::Sq => PageLabels {
                subscribe: "Abonohu:",
                no_stories: "Ende nuk ka lajme.",
                updated: "përditësuar më",
                every_feed: "të gjitha prurjet dhe burimet",
                attachment: "Bashkëngjitje",
                untitled: "(pa titull)",
                archive: "Arkivi",
                no_issues: "Ende nuk ka numra.",
            },
            Locale::SrLatn => PageLabels {
                subscribe: "Pretplatite se:",
                no_stories: "Još nema vesti.",
                updated: "ažurirano",
                every_feed: "svi fidovi i izvori",
                attachment: "Prilog",
                untitled: "(bez naslova)",
                archive: "Arhiva",
                no_issues: "Još nema izdanja.",
            },
            Locale::SrCyrl => PageLabels {
                subscribe: "Претплатите се:",
                no_stories: "Још нема вести.",
                updated: "ажурирано",
                every_feed: "сви фидови и извори",
                attachment: "Прилог",
                untitled: "(без наслова)",
                archive: "Архива",
                no_issues: "Још нема издања.",
            },
        }
    }

    /// `12 stories`, `1 story`, `no stories`, and so in each language (Serbian: `1 vest`,
    /// `21 vest`, `3 vesti`, `11 vesti`).
    pub fn count(self, n: usize) -> String {
        let serbian_one = n % 10 == 1 && n % 100 != 11;
        match (self, n) {
            (Locale::En, 0) => "no stories".into(),
            (Locale::En, 1) => "1 story".into(),
            (Locale::En, n) => format!("{n} stories"),
            (Locale::Sq, 0) => "asnjë lajm".into(),
            (Locale::Sq, 1) => "1 lajm".into(),
            (Locale::Sq, n) => format!("{n} lajme"),
            (Locale::SrLatn, 0) => "nijedna vest".into(),
            (Locale::SrLatn, n) if serbian_one => format!("{n} vest"),
            (Locale::SrLatn, n) => format!("{n} vesti"),
            (Locale::SrCyrl, 0) => "ниједна вест".into(),
            (Locale::SrCyrl, n) if serbian_one => format!("{n} вест"),
            (Locale::SrCyrl, n) => format!("{n} вести"),
        }
    }

    fn month(self, date: NaiveDate) -> &'static str {
        const EN: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const SQ: [&str; 12] = [
            "jan", "shk", "mar", "pri", "maj", "qer", "korr", "gush", "sht", "tet", "nën", "dhj",
        ];
        const SR_LATN: [&str; 12] = [
            "jan", "feb", "mar", "apr", "maj", "jun", "jul", "avg", "sep", "okt", "nov", "dec",
        ];
        const SR_CYRL: [&str; 12] = [
            "јан", "феб", "мар", "апр", "мај", "јун", "јул", "авг", "сеп", "окт", "нов", "дец",
        ];
        let names = match self {
            Locale::En => &EN,
            Locale::Sq => &SQ,
            Locale::SrLatn => &SR_LATN,
            Locale::SrCyrl => &SR_CYRL,
        };
        names[date.month0() as usize]
    }

    /// Serbian writes ordinal days and years with a full stop: `27. nov 2026.`
    fn dotted(self) -> bool {
        matches!(self, Locale::SrLatn | Locale::SrCyrl)
    }

    fn day(self, date: NaiveDate) -> String {
        if self.dotted() {
            format!("{}.", date.day())
        } else {
            date.day().to_string()
        }
    }

    fn year(self, date: NaiveDate) -> String {
        if self.dotted() {
            format!("{}.", date.year())
        } else {
            date.year().to_string()
        }
    }

    /// `27 Nov 2026`, `27 nën 2026`, `27. nov 2026.`
    pub fn date(self, date: NaiveDate) -> String {
        format!("{} {}", self.day_month(date), self.year(date))
    }

    fn day_month(self, date: NaiveDate) -> String {
        format!("{} {}", self.day(date), self.month(date))
    }

    /// Two dates as a range: `21–27 Nov 2026`, `28 Nov – 4 Dec 2026`,
    /// `29 Dec 2026 – 4 Jan 2027` (`21.–27. nov 2026.` in Serbian).
    pub fn range(self, first: NaiveDate, last: NaiveDate) -> String {
        if first == last {
            self.date(last)
        } else if first.year() != last.year() {
            format!("{} – {}", self.date(first), self.date(last))
        } else if first.month() != last.month() {
            format!("{} – {}", self.day_month(first), self.date(last))
        } else {
            format!("{}–{}", self.day(first), self.date(last))
        }
    }

    /// A date and time in `tz`: `27 Nov 2026, 07:30` (`27. nov 2026. u 07:30` in Serbian).
    pub fn date_time(self, t: DateTime<Utc>, tz: Tz) -> String {
        let local = t.with_timezone(&tz);
        let time = local.format("%H:%M");
        let date = self.date(local.date_naive());
        match self {
            Locale::En | Locale::Sq => format!("{date}, {time}"),
            Locale::SrLatn => format!("{date} u {time}"),
            Locale::SrCyrl => format!("{date} у {time}"),
        }
    }

    /// [`Locale::date_time`] with the zone's abbreviation: `26 Nov 2026, 08:00 CET`.
    pub fn moment(self, t: DateTime<Utc>, tz: Tz) -> String {
        format!(
            "{} {}",
            self.date_time(t, tz),
            t.with_timezone(&tz).format("%Z")
        )
    }
}

/// The words the templates print around the stories (`digest.labels.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Labels {
    /// Title of the section of stories without a topic.
    pub other_news: &'static str,
    /// What an empty digest says.
    pub no_stories: &'static str,
    /// Before a story's other topics.
    pub also_in: &'static str,
    /// The footer, after the digest's title and a comma.
    pub sent_by: &'static str,
    /// The unsubscribe link.
    pub unsubscribe: &'static str,
    /// Before the count of stories a digest over `max_stories` leaves out.
    pub left_out: &'static str,
}

/// The words a feed's web page prints around its stories (`labels.*` in its template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageLabels {
    /// Before the links to the feed's formats.
    pub subscribe: &'static str,
    /// What an empty feed's page says.
    pub no_stories: &'static str,
    /// Before the time of the newest change, in the footer.
    pub updated: &'static str,
    /// The link to the status page, which lists every feed and source.
    pub every_feed: &'static str,
    /// A link to a story's enclosure (a podcast's audio, a report's PDF).
    pub attachment: &'static str,
    /// A story without a title.
    pub untitled: &'static str,
    /// The heading of a digest's archive page.
    pub archive: &'static str,
    /// What an archive without issues says.
    pub no_issues: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn tags_name_locales_with_or_without_script_and_region() {
        for (tag, locale) in [
            ("en", Locale::En),
            ("en-GB", Locale::En),
            ("sq", Locale::Sq),
            ("sq-XK", Locale::Sq),
            ("sr", Locale::SrLatn),
            ("sr-Latn", Locale::SrLatn),
            ("sr-latn-RS", Locale::SrLatn),
            ("sr-RS", Locale::SrLatn),
            ("SR-CYRL", Locale::SrCyrl),
            ("sr_Cyrl_RS", Locale::SrCyrl),
        ] {
            assert_eq!(Locale::parse(tag), Some(locale), "{tag}");
        }
        for tag in ["de", "", "sr-Arab", "mk"] {
            assert_eq!(Locale::parse(tag), None, "{tag}");
        }
        for l in LOCALES {
            assert_eq!(Locale::parse(l).unwrap().tag(), *l);
        }
        assert_eq!(Locale::for_languages(&["sq".into()]), Locale::Sq);
        assert_eq!(Locale::for_languages(&["sr-Cyrl".into()]), Locale::SrCyrl);
        assert_eq!(
            Locale::for_languages(&["sq".into(), "sr".into()]),
            Locale::En
        );
        assert_eq!(Locale::for_languages(&["de".into()]), Locale::En);
        assert_eq!(Locale::for_languages(&[]), Locale::En);
    }

    #[test]
    fn counts_follow_each_languages_plural() {
        let counts = |l: Locale| [0, 1, 2, 5, 11, 21, 101].map(|n| l.count(n));
        assert_eq!(
            counts(Locale::En),
            [
                "no stories",
                "1 story",
                "2 stories",
                "5 stories",
                "11 stories",
                "21 stories",
                "101 stories"
            ]
        );
        assert_eq!(
            counts(Locale::Sq),
            [
                "asnjë lajm",
                "1 lajm",
                "2 lajme",
                "5 lajme",
                "11 lajme",
                "21 lajme",
                "101 lajme"
            ]
        );
        assert_eq!(
            counts(Locale::SrLatn),
            [
                "nijedna vest",
                "1 vest",
                "2 vesti",
                "5 vesti",
                "11 vesti",
                "21 vest",
                "101 vest"
            ]
        );
        assert_eq!(counts(Locale::SrCyrl)[2], "2 вести");
    }

    #[test]
    fn dates_and_ranges_read_as_each_language_writes_them() {
        let (a, b) = (day(2026, 11, 21), day(2026, 11, 27));
        assert_eq!(Locale::En.range(a, b), "21–27 Nov 2026");
        assert_eq!(Locale::Sq.range(a, b), "21–27 nën 2026");
        assert_eq!(Locale::SrLatn.range(a, b), "21.–27. nov 2026.");
        assert_eq!(Locale::SrCyrl.range(a, b), "21.–27. нов 2026.");
        assert_eq!(
            Locale::En.range(day(2026, 11, 28), day(2026, 12, 4)),
            "28 Nov – 4 Dec 2026"
        );
        assert_eq!(
            Locale::SrLatn.range(day(2026, 12, 29), day(2027, 1, 4)),
            "29. dec 2026. – 4. jan 2027."
        );
        assert_eq!(Locale::Sq.range(b, b), "27 nën 2026");
        let belgrade: Tz = "Europe/Belgrade".parse().unwrap();
        let t: DateTime<Utc> = "2026-11-27T06:30:00Z".parse().unwrap();
        assert_eq!(Locale::En.moment(t, belgrade), "27 Nov 2026, 07:30 CET");
        assert_eq!(
            Locale::SrCyrl.date_time(t, belgrade),
            "27. нов 2026. у 07:30"
        );
        assert_eq!(Locale::Sq.date_time(t, belgrade), "27 nën 2026, 07:30");
    }
}
