"""The pipeline snippets `init` prints and the README shows (kept in one place)."""

from __future__ import annotations

GITHUB_SNIPPET = """\
name: evidence
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
  pull-requests: read
  checks: read
  actions: read
jobs:
  evidence:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0
        with:
          python-version: "3.12"
      - run: python -m pip install "evidencepack==0.1.*"
      - name: Build the evidence pack
        env:
          SIGNING_KEY: ${{ secrets.EVIDENCEPACK_SIGNING_KEY }}
          # A fine-grained token with Administration: read and Secrets: read sees more
          # (branch protection, secret ages); GITHUB_TOKEN gives the review chain.
          GITHUB_TOKEN: ${{ secrets.EVIDENCEPACK_GITHUB_TOKEN || github.token }}
        run: |
          umask 077
          printf '%s\\n' "$SIGNING_KEY" > "$RUNNER_TEMP/signing.key"
          evidencepack run --store "$RUNNER_TEMP/evidence" --key "$RUNNER_TEMP/signing.key"
      - uses: actions/upload-artifact@043fb46d1a93c77aae656e7c1c64a875d1fc6a0a # v7.0.1
        if: always()
        with:
          name: evidence-pack
          path: ${{ runner.temp }}/evidence/packs/*.tar.gz
          retention-days: 90
"""

GITLAB_SNIPPET = """\
evidence:
  stage: test
  image: python:3.12-slim@sha256:<digest of the image you trust>
  variables:
    GIT_DEPTH: "0"
  script:
    - apt-get update -qq && apt-get install -y -qq git >/dev/null
    - python -m pip install "evidencepack==0.1.*"
    - umask 077 && printf '%s\\n' "$EVIDENCEPACK_SIGNING_KEY" > /tmp/signing.key
    - evidencepack run --store evidence --key /tmp/signing.key
  artifacts:
    when: always
    paths:
      - evidence/packs/*.tar.gz
    expire_in: 90 days
"""
