//! PKCS#11 adapter: module allowlist, tokens, on-token keys and the session worker (in progress).
