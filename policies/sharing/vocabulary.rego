# METADATA
# title: Sharing vocabulary
# description: |
#   Parts of the sharing policy's vocabulary the TypeScript side reads from the
#   compiled policy rather than restating (each rule here is a wasm entrypoint):
#   the exchange's suite asks for the redaction categories to check that every
#   field path they can emit is one its redaction applier actually clears.
#   (A separate package: OPA's wasm planner rejects an entrypoint on a rule that
#   functions in the same package refer to.)
package takitini.sharing.vocabulary

import data.takitini.sharing

redaction_categories := sort(sharing.redaction_categories)
