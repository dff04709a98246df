"""Writes the seed corpus: every sample payload and signing vector, in each target's format.

Run by scripts/fuzz.sh; the seeds are committed so the replay test has them too.
"""
import glob, hashlib, json, os

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)

def write(target, data):
    path = os.path.join(here, "corpus", target, "seed-" + hashlib.sha1(data).hexdigest()[:16])
    with open(path, "wb") as f:
        f.write(data)

samples = sorted(glob.glob(os.path.join(root, "crates/clerk-webhook-core/samples/*.json")))
samples += sorted(glob.glob(os.path.join(root, "crates/clerk-webhook-core/tests/fixtures/dashboard-samples/*.json")))
for path in samples:
    write("parse", open(path, "rb").read())

vectors = json.load(open(os.path.join(root, "crates/clerk-webhook-core/tests/fixtures/signing-vectors.json")))
for kind in ["hmac_v1_vectors", "negative_vectors", "derived_vectors", "ed25519_v1a_vectors"]:
    for v in vectors[kind]:
        if "payload" not in v:
            continue  # the 256 KiB / 1 MiB generated payloads are too big to be useful seeds
        signature = v.get("signature_header") or v.get("expected_signature")
        data = "\n".join([v["msg_id"], str(v["timestamp"]), signature, v["payload"]]).encode()
        write("verify", data)
        write("parse", v["payload"].encode())
print("seeds:", {t: len(os.listdir(os.path.join(here, "corpus", t))) for t in ["verify", "parse"]})
