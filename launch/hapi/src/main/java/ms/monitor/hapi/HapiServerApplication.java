package ms.monitor.hapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.autoconfigure.quartz.QuartzAutoConfiguration;
import org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration;

/**
 * Entry point of ms-monitor's local HAPI FHIR R4 server.
 *
 * <p>Spring Boot's own JPA set-up is excluded: HAPI builds its entity manager
 * factory itself (see {@link FhirJpaConfig}) and creates the schema through
 * Hibernate, so Boot's Flyway run is excluded too. Quartz, Elasticsearch and
 * Thymeleaf are on the classpath only as HAPI dependencies (HAPI runs its own
 * Quartz schedulers; we serve no HTML), so Boot must not set them up either.
 */
@SpringBootApplication(
		exclude = {
			HibernateJpaAutoConfiguration.class,
			FlywayAutoConfiguration.class,
			QuartzAutoConfiguration.class,
			ElasticsearchRestClientAutoConfiguration.class,
			ThymeleafAutoConfiguration.class
		})
public class HapiServerApplication {

	public static void main(String[] args) {
		SpringApplication.run(HapiServerApplication.class, args);
	}
}
