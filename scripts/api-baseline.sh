#!/usr/bin/env bash
# Makes the binary-compatibility baseline of the filter API: builds filters-api from this checkout
# and stores its jar as filters-api/api-baseline/filters-api-<version>.jar, the file the build's
# japicmp check compares every later filters-api against. <version> is the api.baseline.version
# property in filters-api/pom.xml.
#
# Run it when a release is cut (set api.baseline.version to the release first), or after an
# intended incompatible change to the API (then say so in the commit), and commit the jar.
# Arguments are passed to Maven, e.g. scripts/api-baseline.sh -o for an offline build.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's:.*<api.baseline.version>\(.*\)</api.baseline.version>.*:\1:p' filters-api/pom.xml)
if [ -z "$version" ]; then
  echo "api-baseline: no <api.baseline.version> in filters-api/pom.xml" >&2
  exit 1
fi

# package stops before verify, where the compatibility check runs against the old baseline.
./mvnw -B -q package -pl filters-api -DskipTests "$@"

project_version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)
jar="filters-api/target/filters-api-${project_version}.jar"
mkdir -p filters-api/api-baseline
rm -f filters-api/api-baseline/filters-api-*.jar
cp "$jar" "filters-api/api-baseline/filters-api-${version}.jar"
echo "api-baseline: filters-api/api-baseline/filters-api-${version}.jar (from ${jar})"
