// Queries several screens share.
import { useQuery } from '@tanstack/react-query';
import { unwrap, type User } from '@api';
import { api } from './session';
import { keys } from './live';

export function useUsers() {
  return useQuery({
    queryKey: keys.users,
    queryFn: () => unwrap(api.http.GET('/users')),
    select: (list: User[]) => new Map(list.map((u) => [u.id, u])),
    staleTime: 60_000,
  });
}

export function useChats() {
  return useQuery({ queryKey: keys.chats, queryFn: () => unwrap(api.http.GET('/chats')) });
}

export function usePipelines() {
  return useQuery({ queryKey: keys.pipelines, queryFn: () => unwrap(api.http.GET('/pipelines')), staleTime: 60_000 });
}
