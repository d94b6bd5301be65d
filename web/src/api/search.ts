// GET /api/v1/search, as agreed in CONTRACTS.md ("Search"). The endpoint lives
// on another branch and is not in the OpenAPI document yet, so its types are
// written here once; replace them with the generated ones when it lands.
import { ApiError, type ApiClient } from './client';

export type SearchKind = 'message' | 'deal' | 'contact' | 'company' | 'task';
export const SEARCH_KINDS: readonly SearchKind[] = ['message', 'deal', 'contact', 'company', 'task'];

export interface SearchHit {
  kind: SearchKind;
  id: string;
  /** The chat's name for messages; the record's name otherwise. */
  title: string;
  /** HTML: everything escaped except <mark></mark>. */
  snippet: string;
  at: string;
  chat_id: string | null;
  seq: number | null;
  entity: { kind: string; id: string } | null;
}

export interface SearchGroup {
  kind: SearchKind;
  total: number;
  next_cursor: string | null;
  hits: SearchHit[];
}

export interface SearchResponse {
  catching_up: boolean;
  groups: SearchGroup[];
}

export interface SearchParams {
  q: string;
  kinds?: SearchKind[];
  sort?: 'relevance' | 'newest';
  limit?: number;
  cursor?: string | null;
}

export function searchQueryString(p: SearchParams): string {
  const u = new URLSearchParams({ q: p.q });
  if (p.kinds?.length) u.set('kinds', p.kinds.join(','));
  if (p.sort) u.set('sort', p.sort);
  if (p.limit) u.set('limit', String(p.limit));
  if (p.cursor) u.set('cursor', p.cursor);
  return u.toString();
}

/** Runs a search; failures come back as ApiError (404 `not_found` when the server has no search). */
export async function search(api: ApiClient, p: SearchParams, signal?: AbortSignal): Promise<SearchResponse> {
  const token = await api.accessToken();
  let res: Response;
  try {
    res = await fetch(`${api.baseUrl}/search?${searchQueryString(p)}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal,
    });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw ApiError.from(res.status, body);
  return body as SearchResponse;
}
