/**
 * The prefixes of the private consumer groups Mandate's clients make up as they go (a prefix and a
 * random UUID, never committing). The ACLs grant them by prefix (acl-plan.ts), so they live here, once.
 */

/** A compacted topic read into memory from the start (compacted-topic-reader.ts). */
export const READER_GROUP_PREFIX = "mandate-view-";
/** A topic followed from a point in time (topic-follower.ts). */
export const FOLLOWER_GROUP_PREFIX = "mandate-follower-";
/** An agent's decision and result listeners (the SDK's consume-from-now.ts). */
export const SDK_GROUP_PREFIX = "mandate-sdk-";
/** The CLI's readers (`mandate dlq`). */
export const CLI_GROUP_PREFIX = "mandate-cli-";
