# Sourced by the benchmark scripts: a throw-away station in "$W/home" for the benchmarks,
# claimed by operator `bench`, with a trusted ECDSA P-256 release key `rel` and an Ed25519
# audit key. Needs SR (the strongroom binary) and W (the work folder). Test-only secrets.
export STRONGROOM_HOME="$W/home" STRONGROOM_PASSPHRASE="benchmark passphrase"
export STRONGROOM_OPERATOR=bench STRONGROOM_OPERATOR_PASSPHRASE="operator passphrase"
"$SR" operator init --name bench --roles release-officer,approver,auditor >/dev/null 2>&1
"$SR" key generate --algorithm ecdsa-p256 --label rel >/dev/null
"$SR" key export rel -o "$W/rel.pub"
"$SR" trust add "$W/rel.pub" --name rel --purpose signer --holder bench >/dev/null
"$SR" key generate --algorithm ed25519 --label audit --purpose audit >/dev/null
"$SR" key export audit -o "$W/audit.pub"
"$SR" trust add "$W/audit.pub" --name audit --purpose audit --holder bench >/dev/null
"$SR" audit key set audit >/dev/null
