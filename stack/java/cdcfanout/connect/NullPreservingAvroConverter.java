package cdcfanout.connect;

import io.apicurio.registry.utils.converter.AvroConverter;
import io.apicurio.registry.utils.converter.avro.AvroData;
import java.lang.reflect.Field;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * Apicurio's AvroConverter (2.6.x), except that a NULL stays NULL.
 *
 * <p>Debezium declares a column's DEFAULT as the Connect schema's default, and Apicurio's AvroData
 * reads every struct field with {@code Struct.get(field)}, which answers the schema default for a
 * null value: a row holding NULL in {@code flag boolean DEFAULT true} would be written as true.
 * AvroData already has the switch that reads fields without their default
 * ({@code ignoreDefaultForNullables}, Confluent's {@code ignore.default.for.nullables}), but 2.6.x
 * never sets it from the configuration, and the field is private. So this sets it, once, on the
 * converter's own AvroData after configure. If a later Apicurio renames either field, configure
 * fails and the connector does not start: it never silently writes defaults.
 */
public class NullPreservingAvroConverter<T> extends AvroConverter<T> {
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    super.configure(configs, isKey);
    try {
      Field avroDataField = AvroConverter.class.getDeclaredField("avroData");
      avroDataField.setAccessible(true);
      AvroData avroData = (AvroData) avroDataField.get(this);
      Field ignoreDefault = AvroData.class.getDeclaredField("ignoreDefaultForNullables");
      ignoreDefault.setAccessible(true);
      ignoreDefault.setBoolean(avroData, true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ConfigException(
          "NullPreservingAvroConverter cannot make Apicurio's AvroData keep NULLs (" + e
              + "); this Apicurio version is not the one it was written for (2.6.x)");
    }
  }
}
