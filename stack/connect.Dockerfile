# The compose stack's Kafka Connect: Debezium's image plus what the local stack's connect.sh puts in
# plugin.path for the Avro pipeline: Apicurio's converter (stack/maven/apicurio-converter, Kafka's
# own jars left out) and our NullPreservingAvroConverter on top of it, which keeps a NULL in a
# column with a DEFAULT as NULL (stack/java/cdcfanout/connect). Build context: stack/.
FROM maven:3.9-eclipse-temurin-17 AS converter
WORKDIR /build
COPY maven/apicurio-converter/pom.xml pom.xml
RUN mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/plugin
# Compiled against Kafka's API, which Connect supplies at run time (version as stack/lib.sh pins).
RUN mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact=org.apache.kafka:connect-api:3.9.1 -DoutputDirectory=/kafka && \
    mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact=org.apache.kafka:kafka-clients:3.9.1 -DoutputDirectory=/kafka
COPY java/cdcfanout/connect /src/cdcfanout/connect
RUN javac --release 17 -d /classes -cp '/plugin/*:/kafka/*' /src/cdcfanout/connect/*.java && \
    mkdir -p /classes/META-INF/services && \
    echo cdcfanout.connect.NullPreservingAvroConverter \
      >/classes/META-INF/services/org.apache.kafka.connect.storage.Converter && \
    jar cf /plugin/cdc-fanout-converter.jar -C /classes .

FROM quay.io/debezium/connect:3.2
COPY --from=converter /plugin /kafka/connect/apicurio-converter
