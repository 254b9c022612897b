import { defineErrors, ServiceError } from "@takitini/runtime";
import { REGION_SLUGS } from "./regions.js";

/** The briefing service's error catalogue: stable codes clients and tests match on. */
export const errors = defineErrors({
  UNAUTHENTICATED: { status: 401, message: "a community leader's token is required (Authorization: Bearer …, or sign in)" },
  REGION_OUT_OF_SCOPE: { status: 403, message: "that region is outside your scope" },
  AUDIT_UNAVAILABLE: { status: 503, message: "the access could not be recorded, so nothing was served" },
  NOT_READY: { status: 503, message: "briefings are being rebuilt from the community topics; try again shortly" },
  UNSUBSCRIBE_TOKEN_MALFORMED: { status: 400, message: "that unsubscribe link is incomplete or damaged; use the whole link from the email" },
  UNSUBSCRIBE_TOKEN_INVALID: { status: 403, message: "that unsubscribe link was not issued by this service" },
  UNSUBSCRIBE_TOKEN_EXPIRED: { status: 403, message: "that unsubscribe link has expired; use the link in a more recent digest email" },
  MAIL_UNAVAILABLE: { status: 503, message: "the unsubscribe could not be recorded just now; try again shortly" },
  INVALID_SUBMISSION: { status: 400, message: "the submission is not valid; see issues for each field" },
  SUBMISSION_NOT_FOUND: { status: 404, message: "you have no submission with that reference" },
  SUBMIT_FAILED: { status: 503, message: "the submission could not be recorded just now, so nothing was sent; try again shortly" },
  CROSS_SITE_REQUEST: { status: 403, message: "the form was not sent from this site" },
});

/** 404 for a region that is not one of the 12 Police districts, listing the valid slugs. */
export class RegionNotFound extends ServiceError {
  constructor(slug: string) {
    super("REGION_NOT_FOUND", 404, `no region "${slug.slice(0, 60)}"; valid regions: ${REGION_SLUGS.join(", ")}`, [
      { path: "region", code: "unknown_region", message: `expected one of: ${REGION_SLUGS.join(", ")}` },
    ]);
  }

  override toBody() {
    return { error: { ...super.toBody().error, valid_regions: [...REGION_SLUGS] } };
  }
}
