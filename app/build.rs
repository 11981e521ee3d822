//! Turns `locales/console.yml` into a sorted static table, `$OUT_DIR/strings.rs`, that
//! `crate::i18n` searches. The file's shape is fixed: a key line `some.key:`, then exactly
//! `  zh-CN: "…"` and `  en: "…"`; anything else stops the build with its line number.

use std::fmt::Write;

fn main() {
    const SOURCE: &str = "locales/console.yml";
    println!("cargo:rerun-if-changed={SOURCE}");
    let text = std::fs::read_to_string(SOURCE).expect("locales/console.yml is readable");
    let mut entries: Vec<(String, String, String)> = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if line.trim().is_empty() || line.starts_with("_version:") {
            continue;
        }
        let key = line
            .strip_suffix(':')
            .filter(|k| !k.starts_with(' ') && !k.is_empty())
            .unwrap_or_else(|| panic!("{SOURCE}:{}: expected `key:`, found {line:?}", n + 1));
        let mut text_of = |lang: &str| {
            let (n, line) = lines
                .next()
                .unwrap_or_else(|| panic!("{SOURCE}: `{key}` has no {lang} text"));
            line.strip_prefix(&format!("  {lang}: \""))
                .and_then(|rest| rest.strip_suffix('"'))
                .filter(|s| !s.contains('\\'))
                .unwrap_or_else(|| {
                    panic!(
                        "{SOURCE}:{}: expected `  {lang}: \"…\"`, found {line:?}",
                        n + 1
                    )
                })
                .to_owned()
        };
        let zh = text_of("zh-CN");
        let en = text_of("en");
        entries.push((key.to_owned(), zh, en));
    }
    entries.sort();
    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!("{SOURCE}: `{}` appears twice", w[0].0);
    }
    let mut out = format!(
        "/// (key, zh-CN, en), sorted by key.\npub(crate) static STRINGS: [(&str, &str, &str); {}] = [\n",
        entries.len()
    );
    for (key, zh, en) in &entries {
        writeln!(out, "    ({key:?}, {zh:?}, {en:?}),").unwrap();
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("strings.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
