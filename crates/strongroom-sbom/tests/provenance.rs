//! SLSA provenance v1: build-meta parsing errors name the field; the predicate, wrapped in an
//! in-toto Statement v1, passes `in_toto_attestation`'s strict protobuf parse and `validate()`.

mod common;

use common::*;
use serde_json::{json, Value};
use strongroom_sbom::provenance::{to_slsa_predicate, BuildMeta, PREDICATE_TYPE};

fn example() -> Value {
    serde_json::from_slice(&std::fs::read(data("build-meta.example.json")).unwrap()).unwrap()
}

fn parse_err(v: &Value) -> String {
    BuildMeta::parse(&serde_json::to_vec(v).unwrap())
        .unwrap_err()
        .to_string()
}

#[test]
fn missing_required_fields_are_named() {
    for (path, field) in [
        (vec!["builder_id"], "builder_id"),
        (vec!["build_type"], "build_type"),
        (vec!["source"], "source"),
        (vec!["source", "repository"], "source.repository"),
        (vec!["source", "commit"], "source.commit"),
        (vec!["parameters"], "parameters"),
    ] {
        let mut v = example();
        let (last, parents) = path.split_last().unwrap();
        let mut obj = &mut v;
        for p in parents {
            obj = &mut obj[*p];
        }
        obj.as_object_mut().unwrap().remove(*last);
        assert_eq!(
            parse_err(&v),
            format!("build-meta: missing required field `{field}`")
        );
    }
    let mut v = example();
    v["resolved_dependencies"][0]["digest"] = json!({"sha512": "ab"});
    assert_eq!(
        parse_err(&v),
        "build-meta: missing required field `resolved_dependencies[0].digest.sha256`"
    );
}

#[test]
fn invalid_fields_are_named() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"builder_id": "not a uri"}),
            "build-meta: field `builder_id` must be a URI",
        ),
        (
            json!({"build_type": 5}),
            "build-meta: field `build_type` must be a string",
        ),
        (
            json!({"parameters": {}}),
            "build-meta: field `parameters` must not be empty",
        ),
        (
            json!({"parameters": []}),
            "build-meta: field `parameters` must be an object",
        ),
        (
            json!({"started_on": "yesterday"}),
            "build-meta: field `started_on` must be an RFC 3339 time",
        ),
        (
            json!({"finished_on": "2026-03-01T10:00:00Z"}),
            "build-meta: field `finished_on` is before `started_on`",
        ),
        (
            json!({"buidler_id": "https://x"}),
            "build-meta: unknown field `buidler_id`",
        ),
        (
            json!({"builder_version": {"runner": 2}}),
            "build-meta: field `builder_version.runner` must be a string",
        ),
    ];
    for (patch, want) in cases {
        let mut v = example();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        let got = parse_err(&v);
        assert!(got.starts_with(want), "{got} (wanted {want})");
    }
    let mut v = example();
    v["source"]["commit"] = json!("abc123");
    assert!(parse_err(&v).starts_with("build-meta: field `source.commit` must be a full commit id"));
    v = example();
    v["source"]["branch"] = json!("main");
    assert_eq!(parse_err(&v), "build-meta: unknown field `source.branch`");
    assert!(BuildMeta::parse(b"[1,")
        .unwrap_err()
        .to_string()
        .starts_with("build-meta: not JSON"));
}

#[test]
fn predicate_passes_in_toto_strict_parse() {
    let meta = BuildMeta::parse(&std::fs::read(data("build-meta.example.json")).unwrap()).unwrap();
    assert_eq!(meta.finished_on.as_deref(), Some("2026-03-01T10:42:30Z"));
    let pred = to_slsa_predicate(&meta);
    let bd = &pred["buildDefinition"];
    assert_eq!(bd["buildType"], json!(meta.build_type));
    assert_eq!(
        bd["externalParameters"]["source"]["commit"],
        json!("6f1c1e8a6e1c4f3b9d2a7c5e0b8f4a3d2c1b0a99")
    );
    assert_eq!(
        bd["resolvedDependencies"][0],
        json!({"uri": "git+https://github.com/acme/widget@refs/tags/v1.4.0",
               "digest": {"gitCommit": "6f1c1e8a6e1c4f3b9d2a7c5e0b8f4a3d2c1b0a99"}})
    );
    assert_eq!(
        pred["runDetails"]["metadata"]["startedOn"],
        json!("2026-03-01T10:15:00Z")
    );
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "widget-1.4.0.tar.gz", "digest": {"sha256": "a".repeat(64)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": pred,
    });
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("statement.json");
    std::fs::write(&p, serde_json::to_vec(&statement).unwrap()).unwrap();
    let out = python(
        r#"
import json, sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
doc = json.load(open(sys.argv[1]))
st = json_format.Parse(json.dumps(doc), statement_pb2.Statement())
Statement.copy_from_pb(st).validate()
pred = json_format.Parse(json.dumps(doc["predicate"]), provenance_pb2.Provenance())
bd, rd = pred.build_definition, pred.run_details
assert bd.build_type and rd.builder.id and len(bd.external_parameters) > 0
for dep in bd.resolved_dependencies:
    ResourceDescriptor.copy_from_pb(dep).validate()
assert rd.metadata.finished_on.ToJsonString() == "2026-03-01T10:42:30Z", rd.metadata.finished_on
print("in-toto ok", len(bd.resolved_dependencies))
"#,
        &[p.to_str().unwrap()],
    );
    assert!(out.contains("in-toto ok 2"), "{out}");
}

#[test]
fn minimal_meta_gives_minimal_predicate() {
    let v = json!({
        "builder_id": "https://ci.example/builders/1",
        "build_type": "https://ci.example/buildtypes/make/v1",
        "source": {"repository": "git+https://git.example/app", "commit": "A".repeat(40)},
        "parameters": {"target": "release"}
    });
    let meta = BuildMeta::parse(&serde_json::to_vec(&v).unwrap()).unwrap();
    let pred = to_slsa_predicate(&meta);
    assert_eq!(
        pred,
        json!({
            "buildDefinition": {
                "buildType": "https://ci.example/buildtypes/make/v1",
                "externalParameters": {
                    "target": "release",
                    "source": {"repository": "git+https://git.example/app", "commit": "a".repeat(40)}
                },
                "resolvedDependencies": [
                    {"uri": "git+https://git.example/app", "digest": {"gitCommit": "a".repeat(40)}}
                ]
            },
            "runDetails": {"builder": {"id": "https://ci.example/builders/1"}}
        })
    );
}
