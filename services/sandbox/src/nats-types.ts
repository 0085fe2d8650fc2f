import type { ConsumeOptions, RiverConnection } from '@river/protocol/internal';

// The sandbox reaches NATS only through @river/protocol, so the client
// types it needs are derived from the protocol's own handles.

/** A JetStream client. */
export type JetStream = RiverConnection['js'];

/** The artifact object store. */
export type ArtifactStore = Awaited<
  ReturnType<RiverConnection['objm']['create']>
>;

/** A message delivered by a JetStream pull consumer. */
export type DeliveredMsg = Parameters<
  ConsumeOptions<'taskDispatch'>['handle']
>[1];
