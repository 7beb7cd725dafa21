# Strongroom built-in policy for the test stage: dev's warnings, and a trusted signature.
package strongroom.test

import rego.v1

import data.strongroom.lib

deny contains msg if {
	not lib.has_trusted_release_signature
	msg := sprintf(
		"no valid release signature by a trusted key that was active when it signed%s",
		[lib.release_signature_reasons],
	)
}

warn contains msg if some msg in lib.missing_sbom

warn contains msg if some msg in lib.critical_vulns

warn contains msg if some msg in lib.revoked_after_signing

warn contains lib.approvals_message if lib.approvals_short
