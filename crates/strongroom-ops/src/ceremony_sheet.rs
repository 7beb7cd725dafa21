//! The printable ceremony sheet: one self-contained HTML page (inline styles, no scripts, no
//! remote resources) with every step of a ceremony record, what it recorded, and a line for the
//! operator's and each witness's initials, to print, sign by hand and file with the record.

use std::fmt::Write;

use strongroom_core::ceremony::CeremonyPredicate;

use crate::release::html::esc;

const STYLE: &str = "
body { font: 13px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 60rem; color: #1b1b1b; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border: 1px solid #bbb; }
th { background: #f3f3f3; }
.mono { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 11px; word-break: break-all; }
.sign { height: 2.2rem; min-width: 9rem; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } tr { break-inside: avoid; } }
";

/// Renders the sheet of a ceremony run from `script`.
pub fn html(p: &CeremonyPredicate, script: &str) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Ceremony: {n}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Key ceremony: {n}</h1>\n\
         <p>Script <span class=\"mono\">{s}</span>, SHA-256 <span class=\"mono\">{d}</span>.</p>\n\
         <p>Participants (each signs the record with their custodian key): {parts}.</p>\n\
         <table>\n<thead><tr><th>#</th><th>Step</th><th>Recorded</th><th>Operator's initials</th><th>Witnesses' initials</th></tr></thead>\n<tbody>\n",
        n = esc(&p.name),
        s = esc(script),
        d = esc(&p.script_sha256),
        parts = p
            .participants
            .iter()
            .map(|x| format!("{} (<span class=\"mono\">{}</span>)", esc(&x.operator), esc(&x.key_id)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    for s in &p.steps {
        let mut facts = vec![
            format!("{} at {}", esc(&s.operator), esc(&s.time)),
            format!(
                "role {}, quorum {}: {}",
                esc(&s.role),
                s.quorum,
                esc(&s.consenting.join(", "))
            ),
        ];
        if let Some(t) = &s.token_serial {
            facts.push(format!(
                "token serial <span class=\"mono\">{}</span>",
                esc(t)
            ));
        }
        if let Some(k) = &s.key {
            facts.push(format!(
                "key {} ({}), SPKI fingerprint <span class=\"mono\">{}</span>",
                esc(&k.label),
                esc(&k.algorithm),
                esc(&k.key_id)
            ));
            if !k.attributes.is_empty() {
                let attrs: Vec<String> = k
                    .attributes
                    .iter()
                    .map(|(n, v)| format!("{}={}", esc(n), v))
                    .collect();
                facts.push(format!("<span class=\"mono\">{}</span>", attrs.join(" ")));
            }
        }
        for o in &s.outputs {
            facts.push(format!(
                "wrote {} <span class=\"mono\">sha256:{}</span>",
                esc(&o.name),
                esc(&o.sha256)
            ));
        }
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}<br><span class=\"mono\">{}</span></td><td>{}</td><td class=\"sign\"></td><td class=\"sign\"></td></tr>",
            s.number,
            esc(&s.title),
            esc(&s.act),
            facts.join("<br>")
        );
    }
    h.push_str("</tbody>\n</table>\n<p>Check the record with the participants' public keys: <span class=\"mono\">strongroom ceremony verify RECORD --key PEM…</span></p>\n</body>\n</html>\n");
    h
}
