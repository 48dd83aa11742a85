#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the shared fixtures (PRICEWATCH_FIXTURES,
# default ../shared/fixtures next to the repository) and fuzz/seeds/.
# The corpus is not committed; run this once before `cargo fuzz run`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="${PRICEWATCH_FIXTURES:-$here/../../shared/fixtures}"
corpus="$here/corpus"

# One file per string of a JSON array field.
strings() { # file field target
    mkdir -p "$corpus/$3"
    local i=0
    while IFS= read -r b64; do
        printf '%s' "$b64" | base64 -d > "$corpus/$3/fixture-$i"
        i=$((i + 1))
    done < <(jq -r ".[].$2 | select(. != null) | @base64" "$fixtures/$1")
}

# Literal seeds, one file each.
words() { # target words...
    local target="$1"; shift
    mkdir -p "$corpus/$target"
    local i=0
    for w in "$@"; do
        printf '%s' "$w" > "$corpus/$target/word-$i"
        i=$((i + 1))
    done
}

strings price-strings.json input price_string
strings price-strings.json input target
words target "19.99" "19,99 €" "-15%" "any drop" "1.234,56" "¥1,234" "１５％" "19,-" "1.500"
strings amazon-urls.json url url
words email "ada@example.org" " mailto:<Ada.Lovelace+alerts@Example.CO.UK> " "123456" \
    "di4xLjcuMjAwMDAwMDAwMA.bm90LWEtcmVhbC10YWctYnV0LXRoZS1yaWdodC1zaGFwZQ"
for platform in discord telegram; do
    mkdir -p "$corpus/$platform"
    cp "$fixtures/$platform"/*.json "$corpus/$platform/"
done
words discord "s:42:5|506759329068613643" "x:7|1|c" "g:de|0"
words telegram "s:42:c" "h:1" "o:g" "g:?"
# Small pages only: libFuzzer's input cap (-max_len) is set from them.
mkdir -p "$corpus/page"
cp "$here/seeds/product.html" "$fixtures/amazon/com-503-dogs-of-amazon.html" \
    "$fixtures/amazon/com-captcha-2019.html" "$corpus/page/"
for t in "$corpus"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
