//! The printable verification report: one self-contained HTML page (inline styles, no scripts,
//! no remote fonts or images) that a compliance officer can archive or print.

use std::fmt::Write;

use super::BundleReport;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 60rem; color: #1b1b1b; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e3e3e3; }
th { background: #f3f3f3; }
td.mono, .mono { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 12px; word-break: break-all; }
.verdict { display: inline-block; padding: .4rem .9rem; border-radius: .3rem; font-weight: 700; font-size: 1.1rem; border: 2px solid; }
.pass { color: #0b6b2b; } .warn { color: #8a5a00; } .fail { color: #a4161a; } .skip { color: #666; }
.verdict.pass { background: #e6f4ea; } .verdict.warn { background: #fff4d6; } .verdict.fail { background: #fde7e9; }
td.outcome { font-weight: 700; text-transform: uppercase; width: 4rem; }
footer { margin-top: 2rem; color: #555; font-size: 12px; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  .verdict { border-width: 3px; }
}
";

/// Renders the report as a complete HTML document.
pub fn render(report: &BundleReport) -> String {
    let mut h = String::new();
    let title = match &report.release {
        Some(r) => format!("{} {} ({})", r.name, r.version, r.stage),
        None => report.bundle.clone(),
    };
    let verdict_word = report.verdict.verdict_word();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Verification report: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Verification report: {t}</h1>\n\
         <p><span class=\"verdict {v}\">{vw}</span></p>\n",
        t = esc(&title),
        v = esc(report.verdict.as_str()),
        vw = verdict_word,
    );
    let _ = write!(
        h,
        "<table>\n<tr><th>Bundle</th><td class=\"mono\">{}</td></tr>\n\
         <tr><th>Bundle SHA-256</th><td class=\"mono\">{}</td></tr>\n",
        esc(&report.bundle),
        esc(&report.bundle_sha256)
    );
    if let Some(r) = &report.release {
        let _ = write!(
            h,
            "<tr><th>Release</th><td>{} {}</td></tr>\n<tr><th>Stage</th><td>{}</td></tr>\n\
             <tr><th>Created</th><td>{}</td></tr>\n<tr><th>Manifest SHA-256</th><td class=\"mono\">{}</td></tr>\n",
            esc(&r.name),
            esc(&r.version),
            esc(r.stage.as_str()),
            esc(&r.created),
            esc(&report.manifest_sha256)
        );
    }
    let who = match &report.checked_by {
        Some(c) => format!(
            "operator {} on station <span class=\"mono\">{}</span>, with {}",
            esc(&c.operator),
            esc(&c.station),
            esc(&report.tool)
        ),
        None => format!("{} (no station: a trust package alone)", esc(&report.tool)),
    };
    let _ = write!(
        h,
        "<tr><th>Trust</th><td>{}</td></tr>\n<tr><th>Checked at</th><td>{}</td></tr>\n\
         <tr><th>Checked by</th><td>{}</td></tr>\n</table>\n",
        esc(&report.trust_source),
        esc(&report.checked_at),
        who
    );
    if let Some(p) = &report.trust_package {
        let _ = write!(
            h,
            "<h2>Trust package</h2>\n<table>\n<tr><th>File</th><td class=\"mono\">{}</td></tr>\n\
             <tr><th>SHA-256</th><td class=\"mono\">{}</td></tr>\n\
             <tr><th>Issued</th><td>{} by {}</td></tr>\n\
             <tr><th>Signed by</th><td>{}<br><span class=\"mono\">{}</span></td></tr>\n\
             <tr><th>Checked against</th><td>{}</td></tr>\n</table>\n",
            esc(&p.path),
            esc(&p.sha256),
            esc(&p.issued_at),
            esc(&p.issuer),
            esc(&p.signers.join(", ")),
            esc(&p.signer_key_ids.join(" ")),
            if p.anchored {
                "the custodians this station trusts"
            } else {
                "the custodians the package lists itself (not anchored in a station)"
            }
        );
    }

    let _ = write!(
        h,
        "<h2>Checks</h2>\n<table>\n<tr><th>Result</th><th>Check</th><th>Detail</th></tr>\n"
    );
    for c in &report.checks {
        let _ = writeln!(
            h,
            "<tr><td class=\"outcome {o}\">{o}</td><td class=\"mono\">{id}</td><td>{d}</td></tr>",
            o = esc(c.outcome.as_str()),
            id = esc(c.id.as_str()),
            d = esc(&c.detail)
        );
    }
    h.push_str("</table>\n");

    if !report.artifacts.is_empty() {
        h.push_str(
            "<h2>Artifacts</h2>\n<table>\n<tr><th>Name</th><th>Size</th><th>SHA-256</th><th>Bytes checked</th></tr>\n",
        );
        for a in &report.artifacts {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                esc(&a.name),
                a.size,
                esc(&a.sha256),
                match a.bytes_checked {
                    Some(true) => "yes, they match",
                    Some(false) => "yes, they DIFFER",
                    None => "not present",
                }
            );
        }
        h.push_str("</table>\n");
    }

    if !report.evidence.is_empty() {
        h.push_str(
            "<h2>Evidence</h2>\n<p>From the SBOMs, scans and provenance whose signatures verified.</p>\n\
             <table>\n<tr><th>Artifact</th><th>SBOM</th><th>Vulnerability scan</th><th>Provenance</th></tr>\n",
        );
        for e in &report.evidence {
            let sbom = match &e.sbom {
                Some(s) => format!(
                    "{}, {} components",
                    s.format.as_deref().unwrap_or("unknown format"),
                    s.components.map_or("?".to_owned(), |n| n.to_string())
                ),
                None => "none".to_owned(),
            };
            let scan = match &e.scan {
                Some(s) => format!(
                    "{} critical, {} high, {} medium, {} low, {} unrated{}",
                    s.critical,
                    s.high,
                    s.medium,
                    s.low,
                    s.unrated,
                    if s.ids.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", s.ids.join(", "))
                    }
                ),
                None => "not scanned".to_owned(),
            };
            let provenance = match &e.provenance {
                Some(p) => format!(
                    "built by {}",
                    p.builder_id.as_deref().unwrap_or("(no builder id)")
                ),
                None => "none".to_owned(),
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                esc(&e.artifact),
                esc(&sbom),
                esc(&scan),
                esc(&provenance)
            );
        }
        h.push_str("</table>\n");
    }

    if !report.signatures.is_empty() {
        let _ = write!(
            h,
            "<h2>Manifest signatures</h2>\n<p>{} distinct approver{} ({} distinct key{} held by {} {}, as the trust store names the holders); {} required.</p>\n\
             <table>\n<tr><th>Kind</th><th>Key</th><th>Held by</th><th>Signed at</th><th>Status</th></tr>\n",
            report.approvals.distinct_approvers,
            plural(report.approvals.distinct_approvers),
            report.approvals.distinct_keys,
            plural(report.approvals.distinct_keys),
            report.approvals.distinct_holders,
            if report.approvals.distinct_holders == 1 { "person" } else { "people" },
            report.approvals.required,
        );
        for s in &report.signatures {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}<br><span class=\"mono\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(s.kind.as_str()),
                esc(s.key_name.as_deref().unwrap_or("(not in the trust store)")),
                esc(&s.key_id),
                esc(s.holder.as_deref().unwrap_or("(unknown)")),
                esc(&s.signed_at),
                esc(&s.status)
            );
        }
        h.push_str("</table>\n");
    }
    let _ = write!(
        h,
        "<footer>This page was produced offline by {}. It records the checks listed above; \
         re-run <span class=\"mono\">strongroom verify</span> on the bundle to reproduce it.</footer>\n</body>\n</html>\n",
        esc(&report.tool)
    );
    h
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
