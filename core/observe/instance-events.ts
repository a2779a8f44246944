import type { InstanceDoc } from '../model/resources.js';
import type { DmsEventInput } from './events.js';

// The configuration-change events of ModifyReplicationInstance: class, storage and Multi-AZ changes
// have their own begin/finish events (UG CHAP_Events); dmslite applies changes at once, so both.

type InstanceFields = Pick<InstanceDoc, 'ReplicationInstanceIdentifier' | 'ReplicationInstanceClass' | 'AllocatedStorage' | 'MultiAZ'>;

export function instanceChangeEvents(before: InstanceFields, after: InstanceFields): DmsEventInput[] {
  const id = after.ReplicationInstanceIdentifier;
  const ev = (kind: DmsEventInput['kind']): DmsEventInput => ({ kind, sourceType: 'replication-instance', sourceId: id, instanceId: id });
  const out: DmsEventInput[] = [];
  if (before.ReplicationInstanceClass !== after.ReplicationInstanceClass) out.push(ev('instance.classChanging'), ev('instance.classChanged'));
  if (before.AllocatedStorage !== after.AllocatedStorage) out.push(ev('instance.storageScaling'), ev('instance.storageScaled'));
  if (Boolean(before.MultiAZ) !== Boolean(after.MultiAZ)) {
    out.push(...(after.MultiAZ ? [ev('instance.toMultiAz'), ev('instance.isMultiAz')] : [ev('instance.toSingleAz'), ev('instance.isSingleAz')]));
  }
  return out;
}
