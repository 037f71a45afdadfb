package io.plugmesh.kernel.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer. Registered for every kernel test (JUnit
 * extension autodetection) so it installs its detector before any buffer class initializes; runs
 * detection at paranoid level.
 */
public final class NoLeaks implements AfterAllCallback {
  private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(40);
      List<ByteBuf> probes = new ArrayList<>();
      for (int j = 0; j < 64; j++) {
        probes.add(PooledByteBufAllocator.DEFAULT.directBuffer(16));
        probes.add(UnpooledByteBufAllocator.DEFAULT.heapBuffer(16));
      }
      probes.forEach(ByteBuf::release);
    }
    if (!LEAKS.isEmpty()) {
      List<String> found = new ArrayList<>(LEAKS);
      LEAKS.clear();
      throw new AssertionError(
          found.size()
              + " leaked Netty buffer(s) after "
              + context.getDisplayName()
              + ":\n"
              + String.join("\n----\n", found));
    }
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<T>(resource, samplingInterval) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          LEAKS.add(resourceType + records);
          super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          LEAKS.add(resourceType);
          super.reportUntracedLeak(resourceType);
        }
      };
    }
  }
}
