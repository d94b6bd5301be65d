// GET /search over the generated client: the query as the server takes it
// (kinds comma-separated), and an abort that stays an abort.
import { unwrap, type ApiClient } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type SearchKind = S['SearchKind'];
export type SearchHit = S['SearchHit'];
export type SearchGroup = S['SearchGroup'];
export type SearchResponse = S['SearchResponse'];

export const SEARCH_KINDS: readonly SearchKind[] = ['message', 'deal', 'contact', 'company', 'task'];

export interface SearchParams {
  q: string;
  kinds?: SearchKind[];
  sort?: 'relevance' | 'newest';
  limit?: number;
  cursor?: string | null;
}

/** Runs a search; failures come back as ApiError (404 `not_found` when the server has no search). */
export async function search(api: ApiClient, p: SearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  const query = {
    q: p.q,
    kinds: p.kinds?.length ? p.kinds.join(',') : undefined,
    sort: p.sort || undefined,
    limit: p.limit || undefined,
    cursor: p.cursor || undefined,
  };
  try {
    return await unwrap(api.http.GET('/search', { params: { query }, signal }));
  } catch (e) {
    if (signal?.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
    throw e;
  }
}
