# Helpers the .ci scripts share; source it: . "$(dirname "$0")/lib.sh"

TOOLS="${HEADLINES_TOOLS:-$HOME/.cache/headlines-tools}"

# npm_bin DIR: installs the npm packages of DIR/package-lock.json (exact
# versions, npm ci) once, outside the clone under $TOOLS, keyed by the
# lock file's digest, and prints the directory of their commands.
npm_bin() {
  local dir=$1 mods
  mods="$TOOLS/npm-$(basename "$dir")-$(sha256sum "$dir/package-lock.json" | cut -c1-12)"
  if [ ! -d "$mods/node_modules/.bin" ]; then
    local tmp="$mods.tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    cp "$dir/package.json" "$dir/package-lock.json" "$tmp/"
    (cd "$tmp" && npm ci --no-audit --no-fund --silent) >&2
    rm -rf "$mods"; mv "$tmp" "$mods"
  fi
  echo "$mods/node_modules/.bin"
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
