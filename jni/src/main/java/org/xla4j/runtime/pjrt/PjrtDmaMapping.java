package org.xla4j.runtime.pjrt;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import org.xla4j.runtime.DmaMapping;

/** A region registered with PJRT_Client_DmaMap; close() calls PJRT_Client_DmaUnmap. */
final class PjrtDmaMapping implements DmaMapping {
  /** Native state; never references the outer object. */
  static final class State implements Runnable, ClientState.Child {
    final ClientState client;
    final long address;
    private boolean freed;

    State(ClientState client, long address) {
      this.client = client;
      this.address = address;
    }

    @Override
    public synchronized void freeNative() {
      if (freed) return;
      freed = true;
      PjrtNative.x4j_dma_unmap(client.client, address); // best effort: the region may be gone already
    }

    @Override
    public void run() { client.release(this); }
  }

  private final MemorySegment region;
  private final Cleaner.Cleanable cleanable;

  PjrtDmaMapping(ClientState client, MemorySegment region, Cleaner cleaner) {
    this.region = region;
    State state = new State(client, region.address());
    client.register(state);
    this.cleanable = cleaner.register(this, state);
  }

  @Override
  public MemorySegment region() { return region; }

  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() { return "PjrtDmaMapping[" + region.byteSize() + " bytes @ 0x" + Long.toHexString(region.address()) + "]"; }
}
