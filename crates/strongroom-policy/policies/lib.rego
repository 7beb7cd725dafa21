# Strongroom built-in policy: helpers shared by the stage policies (dev.rego, test.rego,
# staging.rego, production.rego). The input document is described in docs/policy.md.
#
# Fields are read so that a missing one fails closed: `not sig.valid` holds when `valid` is false
# or absent.
package strongroom.lib

import rego.v1

config := data.strongroom.config

stage := input.release.stage

# A key whose stage list is empty may act for every stage.
stage_ok(sig) if count(object.get(sig, "stages", [])) == 0

stage_ok(sig) if stage in sig.stages

# Valid signature, trusted key, active (in its window, not revoked) when it signed.
trusted_valid(sig) if {
	sig.valid == true
	sig.trusted == true
	sig.active_at_signing == true
	not sig.revoked_before_signing
}

# A release signature that meets the staging and production rule.
qualifying_release_signature(sig) if {
	sig.kind == "release"
	trusted_valid(sig)
	sig.purpose == "signer"
	stage_ok(sig)
}

has_qualifying_release_signature if {
	some sig in input.signatures
	qualifying_release_signature(sig)
}

has_trusted_release_signature if {
	some sig in input.signatures
	sig.kind == "release"
	trusted_valid(sig)
}

key_label(sig) := sprintf("key %s (%s)", [sig.key_name, sig.keyid]) if is_string(sig.key_name)

key_label(sig) := sprintf("key %s", [sig.keyid]) if not is_string(sig.key_name)

# problems[[i, reason]]: why signature i does not count, apart from its role.
problems contains [i, "the signature does not verify"] if {
	some i, sig in input.signatures
	not sig.valid
}

problems contains [i, "the key is not in the trust store"] if {
	some i, sig in input.signatures
	not sig.trusted
}

problems contains [i, p] if {
	some i, sig in input.signatures
	sig.trusted == true
	some p in object.get(sig, "key_problems", [])
}

problems contains [i, "the key was not active when it signed"] if {
	some i, sig in input.signatures
	sig.trusted == true
	not sig.active_at_signing
	count(object.get(sig, "key_problems", [])) == 0
}

problems contains [i, sprintf("the key is not trusted for the %s stage", [stage])] if {
	some i, sig in input.signatures
	sig.trusted == true
	not stage_ok(sig)
}

# Why signature i cannot sign for `purpose` at this stage ("" when it can).
why_not(i, purpose) := concat("; ", array.concat(
	[p | some pr in problems; pr[0] == i; p := pr[1]],
	[sprintf("the key is not a %s key", [purpose]) | not input.signatures[i].purpose == purpose],
))

# ": key a (…): reason; key b (…): reason" for the release signatures, or "" when there are none.
release_signature_reasons := "" if {
	count([1 | some sig in input.signatures; sig.kind == "release"]) == 0
} else := concat("", [": ", concat("; ", [sprintf("%s: %s", [key_label(sig), why_not(i, "signer")]) |
	some i, sig in input.signatures
	sig.kind == "release"
])])

# Approvals demanded at this stage: the configured number, never below the stage's floor.
floor := {"dev": 0, "test": 0, "staging": 0, "production": 2}

configured_min_approvers := n if {
	is_number(config.min_approvers)
	n := config.min_approvers
} else := n if {
	n := config.min_approvers[stage]
	is_number(n)
} else := 0

min_approvers := max([configured_min_approvers, floor[stage]])

approvers := object.get(input, ["approvals", "distinct_approvers"], 0)

# Findings that name a remedy are {"msg", "fix"} objects: each shell words the fix itself.
approvals_message := {"msg": sprintf(
	"the %s stage needs %d distinct approvers, has %d",
	[stage, min_approvers, approvers],
), "fix": "approvals"}

approvals_short if approvers < min_approvers

allowed_builders := object.get(config, "allowed_builders", [])

# Finding texts shared by several stages.
missing_sbom contains {"msg": sprintf("artifact %s has no SBOM", [a.name]), "fix": "sbom"} if {
	some a in input.artifacts
	not a.sbom.present
}

critical_vulns contains sprintf(
	"artifact %s has %d critical vulnerabilities (findings: %s); upgrade the affected components or rebuild",
	[a.name, a.vulnerabilities.critical, concat(", ", object.get(a.vulnerabilities, "ids", []))],
) if {
	some a in input.artifacts
	a.vulnerabilities.critical > 0
}

not_scanned contains {"msg": sprintf("artifact %s was not scanned for vulnerabilities", [a.name]), "fix": "scan"} if {
	some a in input.artifacts
	not a.vulnerabilities.scanned
}

missing_provenance contains {"msg": sprintf("artifact %s has no provenance", [a.name]), "fix": "provenance"} if {
	some a in input.artifacts
	not a.provenance.present
}

missing_provenance contains sprintf(
	"artifact %s: its provenance names no builder (runDetails.builder.id)",
	[a.name],
) if {
	some a in input.artifacts
	a.provenance.present == true
	not is_string(a.provenance.builder_id)
}

builder_not_allowed contains sprintf(
	"artifact %s was built by %s, which is not an allowed builder (allowed: %s); add it to allowed_builders with `strongroom trust data FILE.json`",
	[a.name, a.provenance.builder_id, allowed_text],
) if {
	some a in input.artifacts
	is_string(a.provenance.builder_id)
	not a.provenance.builder_id in allowed_builders
}

allowed_text := "none configured" if {
	count(allowed_builders) == 0
} else := concat(", ", allowed_builders)

revoked_after_signing contains sprintf(
	"%s was revoked after it signed (%s signature at %s): the signature stands, but find out why the key was revoked",
	[key_label(sig), sig.kind, sig.signed_at],
) if {
	some sig in input.signatures
	sig.revoked == true
	not sig.revoked_before_signing
}
