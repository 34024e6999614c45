#!/usr/bin/env bash
# Creates benchmarks/.venv with what the benchmark scripts need (Hugo, the
# Python floor's libraries, Pillow for the corpus images).  im-site itself is
# NOT installed here: run.py uses the im-site on PATH or --imsite PATH
# (e.g. the project's own .venv/bin/im-site).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
"$py" -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
if [ ! -x /usr/bin/time ]; then
  echo "note: /usr/bin/time is missing; run.py falls back to getrusage." >&2
  echo "      For the usual numbers: apt-get install -y time" >&2
fi
echo "Hugo: $("$here/.venv/bin/hugo" version)"
cat <<MSG

Benchmark virtualenv ready: $here/.venv

Run (from the repository root):
  benchmarks/.venv/bin/python benchmarks/run.py --sizes 1000 --reps 3 \\
      --imsite .venv/bin/im-site --json /tmp/bench.json
  benchmarks/.venv/bin/python benchmarks/run.py --sizes 1000,10000 --reps 3 --tools hugo,floor
  benchmarks/.venv/bin/python benchmarks/serve_latency.py --pages 1000 --imsite .venv/bin/im-site

See benchmarks/README.md for what each one measures.
MSG
