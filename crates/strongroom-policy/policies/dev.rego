# Strongroom built-in policy for the dev stage: nothing is refused; gaps are reported.
package strongroom.dev

import rego.v1

import data.strongroom.lib

warn contains msg if some msg in lib.missing_sbom

warn contains msg if some msg in lib.critical_vulns

warn contains msg if some msg in lib.revoked_after_signing

warn contains lib.approvals_message if lib.approvals_short
