package io.plugmesh.kernel.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.plugmesh.filters.advanced.ResponseFlag;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestLogTest {

  @Test
  void noFlagsIsDash() {
    assertThat(RequestLogs.log("r", "c", 200, Set.of()).flagsText()).isEqualTo("-");
  }

  @Test
  void flagsAreJoinedInEnumOrderWhateverTheInsertionOrder() {
    Set<ResponseFlag> flags =
        new LinkedHashSet<>(
            List.of(
                ResponseFlag.FAULT_INJECTED,
                ResponseFlag.RATE_LIMITED,
                ResponseFlag.NO_HEALTHY_UPSTREAM));
    assertThat(RequestLogs.log("r", "c", 503, flags).flagsText()).isEqualTo("UH,RL,FI");
  }

  @Test
  void flagsAreCopiedAndImmutable() {
    EnumSet<ResponseFlag> flags = EnumSet.of(ResponseFlag.LOCAL_RESPONSE);
    RequestLog log = RequestLogs.log("r", "c", 401, flags);
    flags.add(ResponseFlag.UNAUTHORIZED);
    assertThat(log.flagsText()).isEqualTo("LR");
    assertThatThrownBy(() -> log.flags().add(ResponseFlag.RATE_LIMITED))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
