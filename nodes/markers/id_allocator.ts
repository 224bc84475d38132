// Marker ids per object id. A marker's (ns, id) is its identity in rviz, and Marker.id is int32
// while object ids are uint32: an object keeps its own id as marker id when it fits (readable in
// rviz's selection panel, and the same on every run and every bag loop); an id above 2^31-1, or
// one whose number is already taken, gets a free id counted down from 2^31-1. Either way the
// marker id stays the same for as long as the object is tracked.
const INT32_MAX = 0x7fffffff;

export class MarkerIdAllocator {
  /** object id → marker id */
  private readonly byObject = new Map<number, number>();
  /** marker ids in use */
  private readonly used = new Set<number>();
  private nextHigh = INT32_MAX;

  /** The marker id of `objectId`, allocating one when the object is new. */
  acquire(objectId: number): number {
    const have = this.byObject.get(objectId);
    if (have !== undefined) return have;
    let id: number;
    if (objectId >= 0 && objectId <= INT32_MAX && !this.used.has(objectId)) {
      id = objectId;
    } else {
      // Skip ids in use; the live set is small (one sensor's tracks), so this ends quickly.
      while (this.used.has(this.nextHigh)) this.nextHigh = this.nextHigh > 0 ? this.nextHigh - 1 : INT32_MAX;
      id = this.nextHigh;
      this.nextHigh = this.nextHigh > 0 ? this.nextHigh - 1 : INT32_MAX;
    }
    this.byObject.set(objectId, id);
    this.used.add(id);
    return id;
  }

  /** The marker id of a tracked object, undefined when it has none. */
  get(objectId: number): number | undefined {
    return this.byObject.get(objectId);
  }

  release(objectId: number): void {
    const id = this.byObject.get(objectId);
    if (id === undefined) return;
    this.byObject.delete(objectId);
    this.used.delete(id);
    if (this.used.size === 0) this.nextHigh = INT32_MAX;
  }

  clear(): void {
    this.byObject.clear();
    this.used.clear();
    this.nextHigh = INT32_MAX;
  }

  get size(): number {
    return this.used.size;
  }
}
