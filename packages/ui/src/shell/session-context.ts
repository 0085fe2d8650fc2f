/** The signed-in role, for components that show or hide operator tools. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role } from '../api/session.js';

/** The session's role; `viewer` until known, so no tool shows too early. */
export const RoleContext = createContext<Role>('viewer');

/** The signed-in role. */
export function useRole(): Role {
  return useContext(RoleContext);
}
