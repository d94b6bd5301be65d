// Queries several screens share.
import { useQuery } from '@tanstack/react-query';
import { unwrap, type User } from '@artel/client';
import { api } from './session';
import { keys } from './live';
import { syncMutes } from './notify';

const byId = (list: User[]) => new Map(list.map((u) => [u.id, u]));

/** The workspace's people by id. `fresh`: reload it on mount (Ctrl+K looks for newcomers). */
export function useUsers(fresh = false) {
  return useQuery({
    queryKey: keys.users,
    queryFn: () => unwrap(api.http.GET('/users')),
    select: byId,
    staleTime: 60_000,
    ...(fresh ? { refetchOnMount: 'always' as const } : {}),
  });
}

export function useChats() {
  return useQuery({
    queryKey: keys.chats,
    queryFn: async () => {
      const chats = await unwrap(api.http.GET('/chats'));
      syncMutes(chats);
      return chats;
    },
  });
}

export function usePipelines() {
  return useQuery({ queryKey: keys.pipelines, queryFn: () => unwrap(api.http.GET('/pipelines')), staleTime: 60_000 });
}
