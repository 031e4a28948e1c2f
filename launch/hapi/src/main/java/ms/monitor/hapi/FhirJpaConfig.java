package ms.monitor.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.batch2.maintenance.JobMaintenanceServiceImpl;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binstore.DatabaseBinaryContentStorageSvcImpl;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import jakarta.persistence.EntityManagerFactory;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.hl7.fhir.dstu2.model.Subscription.SubscriptionChannelType;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.transaction.annotation.EnableTransactionManagement;

/**
 * Storage side of the server: HAPI's JPA layer for FHIR R4 on H2, Batch2 (bulk
 * export) and REST-hook subscriptions. Only the HAPI configurations the product
 * needs are imported (no CR, MDM, IPS, Lucene, websockets).
 */
@Configuration
@EnableTransactionManagement
@Import({
	JpaR4Config.class, // R4 FhirContext, DAOs and resource providers (imports JpaConfig)
	HapiJpaConfig.class, // paging provider, stale-search cleanup, no-op full-text search
	ThreadPoolFactoryConfig.class,
	JpaBatch2Config.class, // Batch2 job persistence (bulk export runs on it)
	Batch2JobsConfig.class, // the job definitions themselves, incl. bulk export
	SubscriptionSubmitterConfig.class, // hooks that turn writes into matching messages
	SubscriptionProcessorConfig.class, // matcher + REST-hook delivery
	SubscriptionChannelConfig.class // in-JVM channels between the two
})
public class FhirJpaConfig {

	@Bean
	public JpaStorageSettings jpaStorageSettings(
			@Value("${hapi.reuse-cached-search-results-ms:0}") long reuseCachedSearchResultsMs) {
		JpaStorageSettings settings = new JpaStorageSettings();
		// The default (60 s) serves a cached result list for an identical search, which
		// hides writes made a moment earlier; the product and its tests read their writes.
		settings.setReuseCachedSearchResultsForMillis(reuseCachedSearchResultsMs > 0 ? reuseCachedSearchResultsMs : null);
		// Clients PUT resources with ids they choose, numeric ones included.
		settings.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
		// With ANY, server-assigned ids must not collide with client ones: use UUIDs.
		settings.setResourceServerIdStrategy(JpaStorageSettings.IdStrategyEnum.UUID);
		settings.setAllowExternalReferences(true);
		// Each $export kick-off starts a new job (no reuse of an earlier identical one),
		// and a finished step triggers the next maintenance pass at once.
		settings.setEnableBulkExportJobReuse(false);
		settings.setJobFastTrackingEnabled(true);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings(); // partitioning off
	}

	@Bean
	public SubscriptionSettings subscriptionSettings(
			@Value("${hapi.subscription-interval-ms:1000}") long intervalMs) {
		SubscriptionSettings settings = new SubscriptionSettings();
		settings.addSupportedSubscriptionType(SubscriptionChannelType.RESTHOOK);
		// Writes (Subscriptions included) are queued in the database and handed to the
		// matcher by a job that runs every 5 s by default: activation and each REST hook
		// came up to 5 s late. Poll faster. (setSubscriptionChangeQueuedImmediately is
		// no better: the matcher then reads the Subscription before it is committed,
		// logs an error and succeeds on a retry.)
		settings.setSubscriptionIntervalInMs(intervalMs);
		return settings;
	}

	/**
	 * HAPI brings its own persistence unit set-up (entity classes, interceptors);
	 * we only add the H2 dialect and schema creation. Hibernate Search is off.
	 */
	@Bean
	@Primary
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource);
		Map<String, Object> props = new HashMap<>();
		props.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
		props.put("hibernate.hbm2ddl.auto", "update");
		props.put("hibernate.search.enabled", "false");
		props.put("hibernate.jdbc.batch_size", "20");
		props.put("hibernate.cache.use_query_cache", "false");
		props.put("hibernate.cache.use_second_level_cache", "false");
		props.put("hibernate.archive.scanner", "org.hibernate.boot.archive.scan.internal.DisabledScanner");
		props.put("hibernate.format_sql", "false");
		props.put("hibernate.show_sql", "false");
		emf.getJpaPropertyMap().putAll(props);
		return emf;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	/** Binary content (bulk export files among others) is kept in the database. */
	@Bean
	public DatabaseBinaryContentStorageSvcImpl binaryStorageSvc() {
		return new DatabaseBinaryContentStorageSvcImpl();
	}

	/** The subscription processor wants an e-mail sender; we deliver by REST hook only. */
	@Bean
	public IEmailSender emailSender() {
		return details -> {};
	}

	/**
	 * Batch2 advances a job between steps in a maintenance pass that runs every
	 * minute by default; a bulk export would then take a minute or more. A short
	 * interval lets exports finish in seconds. Static: a post-processor must not
	 * pull the rest of this configuration in early.
	 */
	@Bean
	public static BeanPostProcessor batch2MaintenanceInterval(
			@Value("${hapi.batch2-maintenance-interval-ms:1000}") long intervalMs) {
		return new BeanPostProcessor() {
			@Override
			public Object postProcessBeforeInitialization(Object bean, String beanName) {
				if (bean instanceof JobMaintenanceServiceImpl maintenance) {
					maintenance.setScheduledJobFrequencyMillis(intervalMs);
				}
				return bean;
			}
		};
	}
}
