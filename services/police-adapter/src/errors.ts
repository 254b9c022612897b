import { defineErrors } from "@takitini/runtime";

/** The adapter's error catalogue. Clients match `error.code`, never the message. */
export const errors = defineErrors({
  VALIDATION_FAILED: { status: 400, message: "the record is not a valid Police noting" },
  PUBLISH_FAILED: { status: 503, message: "the event could not be published; nothing was accepted, retry later" },
});
