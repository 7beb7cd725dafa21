# Strongroom built-in policy for the staging stage: a signer key trusted for staging and an SBOM
# for every artifact are required; vulnerabilities, provenance and approvals are reported.
package strongroom.staging

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

warn contains msg if some msg in lib.critical_vulns

warn contains msg if some msg in lib.not_scanned

warn contains msg if some msg in lib.missing_provenance

warn contains msg if {
	count(lib.allowed_builders) > 0
	some msg in lib.builder_not_allowed
}

warn contains msg if some msg in lib.revoked_after_signing

warn contains lib.approvals_message if lib.approvals_short
