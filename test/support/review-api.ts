import type { ReviewService } from "@mandate/review/review-service";

/** The review API's answer: its status and its JSON body (an `error` on refusals). */
export interface ReviewApiAnswer {
  status: number;
  body: { error?: { code: string; message: string }; [key: string]: unknown };
}

/**
 * Calls `service`'s review API as a reviewer's client would: with `token` as the bearer (none when
 * undefined) and `body` as JSON, or as is when it is a string (to send what is not JSON).
 */
export async function reviewApi(
  service: ReviewService,
  method: "GET" | "POST",
  route: string,
  token: string | undefined,
  body?: unknown,
): Promise<ReviewApiAnswer> {
  const response = await fetch(`http://127.0.0.1:${service.httpPort}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ReviewApiAnswer["body"] };
}
