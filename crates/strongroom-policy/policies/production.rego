# Strongroom built-in policy for the production stage (issue 6): a signature by an active signer
# key trusted for production, an SBOM for every artifact, a scan without critical
# vulnerabilities, provenance from an allowed builder, and at least two distinct approvers
# (demanded at verification; at creation a reminder, since approvals come after).
package strongroom.production

import rego.v1

import data.strongroom.lib

deny contains msg if {
	not lib.has_qualifying_release_signature
	msg := sprintf(
		"no release signature by a trusted signer key for %s that was active when it signed%s",
		[lib.stage, lib.release_signature_reasons],
	)
}

deny contains msg if some msg in lib.missing_sbom

deny contains msg if some msg in lib.not_scanned

deny contains msg if some msg in lib.critical_vulns

deny contains msg if some msg in lib.missing_provenance

deny contains msg if some msg in lib.builder_not_allowed

# Fail closed: only an explicit "create" phase turns the refusal into a reminder.
deny contains lib.approvals_message if {
	not input.phase == "create"
	lib.approvals_short
}

warn contains lib.approvals_message if {
	input.phase == "create"
	lib.approvals_short
}

warn contains msg if some msg in lib.revoked_after_signing
