//! Maven `META-INF/maven/<groupId>/<artifactId>/pom.properties` (Java properties format).

use super::{utf8, Parsed};
use crate::component::Component;
use crate::error::SbomError;

pub(crate) fn parse(bytes: &[u8], found_in: &str) -> Result<Parsed, SbomError> {
    let text = utf8(bytes, found_in)?;
    let (mut group, mut artifact, mut version) = (None, None, None);
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let sep = line.find(['=', ':']).unwrap_or(line.len());
        let key = line[..sep].trim();
        let value = line.get(sep + 1..).unwrap_or("").trim().replace("\\:", ":");
        match key {
            "groupId" => group = Some(value),
            "artifactId" => artifact = Some(value),
            "version" => version = Some(value),
            _ => {}
        }
    }
    match (group, artifact, version) {
        (Some(g), Some(a), Some(v)) if !g.is_empty() && !a.is_empty() && !v.is_empty() => {
            Ok(Parsed {
                components: vec![Component::maven(&g, &a, &v, found_in)],
                ..Parsed::default()
            })
        }
        _ => Err(SbomError::Parse {
            path: found_in.to_string(),
            line: None,
            message: "pom.properties without groupId, artifactId and version".into(),
        }),
    }
}
