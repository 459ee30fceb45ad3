#!/usr/bin/env bash
# Builds and installs pgvector for the local PostgreSQL from Debian's source package.
# Debian 12 (bookworm) ships no pgvector package, but trixie has its source, which builds
# against bookworm's postgresql-server-dev. Idempotent: exits at once when the extension
# is already available to the server.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)}"
if [ -z "$PG_MAJOR" ]; then
  echo "install-pgvector: no PostgreSQL found under /usr/lib/postgresql" >&2
  exit 1
fi
if [ -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed for PostgreSQL $PG_MAJOR"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# The deb-src entry reuses the mirror of the machine's own Debian source (never a hard-coded
# host): the first URI of the deb822 file (or one-line list) that serves the main suite.
SRC_FILE=/etc/apt/sources.list.d/pgvector-trixie-src.sources
if [ ! -f "$SRC_FILE" ]; then
  MIRROR=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -qiE '^Suites:.*\b(bookworm|stable)\b' "$f"; then
      MIRROR=$(awk 'tolower($1)=="uris:" {print $2; exit}' "$f")
      [ -n "$MIRROR" ] && ! echo "$MIRROR" | grep -q security && break
      MIRROR=""
    fi
  done
  if [ -z "$MIRROR" ] && [ -f /etc/apt/sources.list ]; then
    MIRROR=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
  fi
  if [ -z "$MIRROR" ]; then
    echo "install-pgvector: could not find the Debian mirror in the apt sources" >&2
    exit 1
  fi
  KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
  {
    echo "Types: deb-src"
    echo "URIs: $MIRROR"
    echo "Suites: trixie"
    echo "Components: main"
    [ -f "$KEYRING" ] && echo "Signed-By: $KEYRING"
  } | $SUDO tee "$SRC_FILE" >/dev/null
fi

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  "postgresql-server-dev-$PG_MAJOR" build-essential dpkg-dev >/dev/null

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
apt-get source --download-only pgvector >/dev/null 2>&1 || apt-get source --download-only pgvector
dpkg-source -x --no-check ./pgvector_*.dsc src >/dev/null
cd src
make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" >/dev/null
$SUDO make -s PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" install >/dev/null
echo "install-pgvector: installed pgvector $(grep default_version vector.control | cut -d"'" -f2) for PostgreSQL $PG_MAJOR"
