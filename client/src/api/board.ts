// Reading a deal board a column at a time, shared by the web and phone clients:
// the board with the first cards of each column, the next cards of one column
// (from its cursor, through `GET /deals`), and the column heads alone.
import { unwrap, type ApiClient } from './client';
import type { Board, Deal } from './types';

/** Cards a board column carries at first, and reads each time more are asked for. */
export const CARDS_PER_PAGE = 50;

export interface BoardQuery {
  ownerId?: string;
  text?: string;
}

/** The board with each column's first `perColumn` cards (0: the heads alone). */
export function readBoard(api: ApiClient, pipelineId: string, q: BoardQuery = {}, perColumn = CARDS_PER_PAGE): Promise<Board> {
  return unwrap(
    api.http.GET('/pipelines/{id}/board', {
      params: { path: { id: pipelineId }, query: { owner_id: q.ownerId, text: q.text, per_column: perColumn } },
    }),
  );
}

/** The cards of a column after its cursor, and the cursor after them (null at its end). */
export async function readColumnPage(
  api: ApiClient,
  pipelineId: string,
  stageId: string,
  cursor: string,
  q: BoardQuery = {},
): Promise<{ deals: Deal[]; next: string | null }> {
  const call = api.http.GET('/deals', {
    params: {
      query: { pipeline_id: pipelineId, stage_id: stageId, owner_id: q.ownerId, text: q.text, sort: 'board', cursor, limit: CARDS_PER_PAGE },
    },
  });
  const deals = await unwrap(call);
  return { deals, next: (await call).response.headers.get('x-next-cursor') };
}
