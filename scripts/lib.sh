# shellcheck shell=bash
# Helpers shared by scripts/test and scripts/deps/*.sh. Source, do not run.
# Every installer here is idempotent: it checks before it installs, and apt and
# npm runs are serialised with flock so parallel callers never collide.

SOCKLET_ROOT=${SOCKLET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SOCKLET_TOOLS=${SOCKLET_TOOLS:-$HOME/.cache/socklet-tools}
mkdir -p "$SOCKLET_TOOLS"

log() { printf '[deps] %s\n' "$*" >&2; }

# apt_install PKG...: installs the Debian packages that are missing.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "apt-get install ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	(
		flock 9
		# apt-get update once per day at most.
		local stamp=/var/lib/apt/periodic/socklet-update-stamp
		if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
			$sudo apt-get update -qq && $sudo mkdir -p "$(dirname "$stamp")" && $sudo touch "$stamp"
		fi
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	) 9>/tmp/socklet-apt.lock
}

# npm_tools_dir: a node_modules prefix outside the repository for test-only npm
# packages (ws, assemblyscript), so the work tree stays clean.
npm_install() {
	local dir=$SOCKLET_TOOLS/npm
	mkdir -p "$dir"
	local missing=() spec name
	for spec in "$@"; do
		name=${spec%@*}
		[ -z "$name" ] && name=$spec
		[ -d "$dir/node_modules/$name" ] || missing+=("$spec")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "npm install ${missing[*]}"
	(
		flock 9
		cd "$dir" && { [ -f package.json ] || echo '{"private":true}' >package.json; } &&
			npm install --no-audit --no-fund --loglevel=error "${missing[@]}" >/dev/null
	) 9>/tmp/socklet-npm.lock
}
