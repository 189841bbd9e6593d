"""The pipeline snippets `init` prints and the README shows (kept in one place)."""

from __future__ import annotations

ACTION_REF_PLACEHOLDER = "<commit SHA of the release>"
"""Where the user writes the full commit SHA of the evidencepack release they trust."""

GITHUB_SNIPPET = f"""\
name: evidence
on:
  push:
    branches: [main]
  pull_request:
permissions: {{}}
jobs:
  evidence:
    runs-on: ubuntu-latest
    permissions:
      contents: read          # the checkout
      pull-requests: read     # the review chain of each change (CM-2, CM-3)
      checks: read            # checks on the merged commit
      actions: read           # runs, logs, environments (MO-1, LG-1)
      security-events: write  # findings to code scanning (upload-sarif: false needs none)
      # id-token: write       # only with keyless: true
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          fetch-depth: 0
          persist-credentials: false
      - name: Write the signing key
        env:
          SIGNING_KEY: ${{{{ secrets.EVIDENCEPACK_SIGNING_KEY }}}}
        run: |
          umask 077
          printf '%s\\n' "$SIGNING_KEY" > "$RUNNER_TEMP/signing.key"
      # Builds the pack (evidencepack run), keeps it as the artifact evidence-pack, sends
      # the findings to code scanning and writes the job summary.
      - uses: evidencepack/evidencepack@{ACTION_REF_PLACEHOLDER} # v0.1.0
        with:
          key: ${{{{ runner.temp }}}}/signing.key
          # A fine-grained token with Administration: read and Secrets: read sees more
          # (branch protection, secret ages); the default token gives the review chain.
          token: ${{{{ secrets.EVIDENCEPACK_GITHUB_TOKEN || github.token }}}}
"""

GITLAB_SNIPPET = f"""\
# The template's job runs `evidencepack run` and keeps the pack, the SARIF log and the
# summary as artifacts. CI/CD variables: GITLAB_TOKEN (project access token, read_api,
# Maintainer; masked), EVIDENCEPACK_KEY (type File: the private signing key),
# COSIGN_PASSWORD (masked; for an encrypted key only).
include:
  - remote: https://raw.githubusercontent.com/evidencepack/evidencepack/{ACTION_REF_PLACEHOLDER}/templates/evidencepack.gitlab-ci.yml
    inputs:
      stage: test
      expire-in: 400 days
"""
