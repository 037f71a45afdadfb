package io.plugmesh.pluginruntime;

import io.plugmesh.filters.ConfigNode;
import io.plugmesh.filters.Filter;
import io.plugmesh.filters.FilterFactory;
import io.plugmesh.filters.FilterServices;
import io.plugmesh.filters.Phase;
import io.plugmesh.filters.advanced.BodyAccess;
import java.util.function.BiFunction;
import java.util.function.Function;

/** A configurable built-in factory for tests: name, phase, schema, parser and filter maker. */
public final class TestFactory implements FilterFactory<ConfigNode> {
  public static final String OPEN_SCHEMA = "{\"type\": \"object\"}";

  private final String name;
  private final Phase phase;
  private final String schema;
  private final Function<ConfigNode, ConfigNode> parser;
  private final BiFunction<ConfigNode, FilterServices, Filter> maker;
  private final int replay;
  private final BodyAccess bodyAccess;
  public int created;
  public FilterServices lastServices;

  private TestFactory(
      String name,
      Phase phase,
      String schema,
      Function<ConfigNode, ConfigNode> parser,
      BiFunction<ConfigNode, FilterServices, Filter> maker,
      int replay,
      BodyAccess bodyAccess) {
    this.name = name;
    this.phase = phase;
    this.schema = schema;
    this.parser = parser;
    this.maker = maker;
    this.replay = replay;
    this.bodyAccess = bodyAccess;
  }

  /** A pass-through filter of the given phase. */
  public static TestFactory passing(String name, Phase phase) {
    return new TestFactory(
        name,
        phase,
        OPEN_SCHEMA,
        c -> c,
        (c, s) -> (request, chain) -> chain.proceed(request),
        0,
        BodyAccess.none());
  }

  public TestFactory withSchema(String newSchema) {
    return new TestFactory(name, phase, newSchema, parser, maker, replay, bodyAccess);
  }

  public TestFactory withParser(Function<ConfigNode, ConfigNode> newParser) {
    return new TestFactory(name, phase, schema, newParser, maker, replay, bodyAccess);
  }

  public TestFactory withFilter(BiFunction<ConfigNode, FilterServices, Filter> newMaker) {
    return new TestFactory(name, phase, schema, parser, newMaker, replay, bodyAccess);
  }

  public TestFactory withReplay(int bytes) {
    return new TestFactory(name, phase, schema, parser, maker, bytes, bodyAccess);
  }

  public TestFactory withBody(BodyAccess access) {
    return new TestFactory(name, phase, schema, parser, maker, replay, access);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Phase phase() {
    return phase;
  }

  @Override
  public String configSchema() {
    return schema;
  }

  @Override
  public ConfigNode parseConfig(ConfigNode config) {
    return parser.apply(config);
  }

  @Override
  public Filter create(ConfigNode config, FilterServices services) {
    created++;
    lastServices = services;
    return maker.apply(config, services);
  }

  @Override
  public BodyAccess bodyAccess(ConfigNode config) {
    return bodyAccess;
  }

  @Override
  public int replay(ConfigNode config) {
    return replay;
  }
}
