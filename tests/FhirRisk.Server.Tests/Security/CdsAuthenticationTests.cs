using System.Net;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Tests.Security;

/// <summary>Authentication through HTTP: on unless LocalDemo is set explicitly; a bare 401 on any failure.</summary>
public sealed class CdsAuthenticationTests
{
    private const string Base = "https://cds.example.org";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string PatientRisk = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
    private static readonly string PatientView = CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch);

    [Fact]
    public async Task Authentication_is_on_by_default()
    {
        Assert.Equal(CdsAuthenticationMode.Jwt, new CdsAuthenticationOptions().Mode);
        // Jwt mode needs an Audience (security review s12 #3); the point here is that Jwt is what an unset Mode means.
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = null,
            ["CdsHooks:Authentication:Audience"] = Base,
        });
        using var response = await server.Client.GetAsync("/cds-services");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(server.Logs.Has(305), "no trusted issuer: the start should warn (event 305)");
    }

    [Fact]
    public async Task Calls_need_a_valid_token_for_the_endpoint_they_invoke()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        await using var server = await JwtServerAsync(jwks);
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        var body = CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch);

        using (var none = await server.PostJsonAsync(service, body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Empty(await none.Content.ReadAsByteArrayAsync()); // no detail
        }
        using (var ok = await server.PostJsonAsync(service, body, JwtTestKeys.Token(key, "ES384", Now, audience: Base + service)))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var wrongEndpoint = await server.PostJsonAsync(service, body, JwtTestKeys.Token(key, "ES384", Now, audience: Base + "/cds-services")))
            Assert.Equal(HttpStatusCode.Unauthorized, wrongEndpoint.StatusCode);
        using (var feedback = await server.PostJsonAsync(service + "/feedback",
            """{"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"2026-03-01T12:00:00Z"}]}""",
            JwtTestKeys.Token(key, "ES384", Now, audience: Base + service)))
            Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);

        using var discovery = new HttpRequestMessage(HttpMethod.Get, "/cds-services");
        discovery.Headers.Authorization = new("Bearer", JwtTestKeys.Token(key, "ES384", Now, audience: Base + "/cds-services"));
        using (var listed = await server.Client.SendAsync(discovery))
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Single(server.Risks.Requests);
    }

    [Fact]
    public async Task Expired_and_replayed_tokens_are_401_and_no_token_reaches_the_logs()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var time = new ManualTimeProvider(Now);
        await using var server = await JwtServerAsync(jwks, time);
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        var body = CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch);
        var token = JwtTestKeys.Token(key, "ES384", Now, audience: Base + service);
        using (var first = await server.PostJsonAsync(service, body, token))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var replay = await server.PostJsonAsync(service, body, token))
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        time.Advance(TimeSpan.FromHours(1));
        using (var expired = await server.PostJsonAsync(service, body, JwtTestKeys.Token(key, "ES384", Now, audience: Base + service)))
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(token.Split('.')[2], StringComparison.Ordinal));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("Replayed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_call_refused_for_want_of_a_place_has_not_spent_its_token()
    {
        // The place is asked for just before the replay guard records the jti, whichever guard it is (memory here;
        // with timeline-store that record is a database insert, which only calls holding a place now make).
        var (key, jwks) = JwtTestKeys.NewEcKey();
        await using var server = await OnePlaceServerAsync(jwks, "00:00:00", new ManualTimeProvider(Now));
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        var held = HoldThePlaceAsync(server, key, release.Task);
        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 1);

        // The place is taken before the jti is recorded: refused at capacity, the token is still unspent.
        var (service, body) = (PatientRisk, PatientView);
        var token = JwtTestKeys.Token(key, "ES384", Now, audience: Base + service);
        using (var refused = await server.PostJsonAsync(service, body, token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("CdsHooks:MaxConcurrentCalls", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        release.SetResult();
        using (var first = await held.WaitAsync(TestFhirRiskServer.Timeout))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var retried = await server.PostJsonAsync(service, body, token))
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        using (var replayed = await server.PostJsonAsync(service, body, token))
            Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        // A call that ends before its endpoint needs the place the filter took for it gives it back.
        const string Unknown = "/cds-services/no-such-service";
        using (var unknown = await server.PostJsonAsync(Unknown, body, JwtTestKeys.Token(key, "ES384", Now, audience: Base + Unknown)))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, limits.Calls.InFlight);
    }

    [Fact]
    public async Task A_token_that_expires_while_its_call_waits_for_a_place_is_refused()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var time = new ManualTimeProvider(Now);
        await using var server = await OnePlaceServerAsync(jwks, "00:00:30", time);
        var limits = server.Services.GetRequiredService<CdsCallLimits>();
        var release = new TaskCompletionSource();
        var held = HoldThePlaceAsync(server, key, release.Task);
        await StalledBody.WaitUntil(() => limits.Calls.InFlight == 1);

        // Valid when it arrives, expired by the time a place frees.
        var (service, body) = (PatientRisk, PatientView);
        var waiting = server.PostJsonAsync(service, body, JwtTestKeys.Token(key, "ES384", Now, audience: Base + service, lifetime: TimeSpan.FromMinutes(1)));
        await Task.Delay(500);
        time.Advance(TimeSpan.FromMinutes(10));
        release.SetResult();

        using (var first = await held.WaitAsync(TestFhirRiskServer.Timeout))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var expired = await waiting.WaitAsync(TestFhirRiskServer.Timeout))
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains(server.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("Expired", StringComparison.Ordinal));
        Assert.Equal(0, limits.Calls.InFlight);
    }

    [Fact]
    public async Task An_issuer_that_fills_its_share_of_the_replay_cache_is_refused_alone()
    {
        // Security review s12 #5: with one shared capacity, issuer A's fresh jtis locked issuer B out ("Replayed").
        var (keyA, jwksA) = JwtTestKeys.NewEcKey("a-1");
        var (keyB, jwksB) = JwtTestKeys.NewEcKey("b-1");
        const string IssuerB = "https://ehr-b.example.org";
        var time = new ManualTimeProvider(Now);
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:ReplayCacheCapacity"] = "4", // two per issuer
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = jwksA,
            ["CdsHooks:Authentication:Issuers:1:Issuer"] = IssuerB,
            ["CdsHooks:Authentication:Issuers:1:Jwks"] = jwksB,
        }, time);

        async Task<HttpStatusCode> Discover(Microsoft.IdentityModel.Tokens.SecurityKey key, string issuer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/cds-services");
            request.Headers.Authorization = new("Bearer", JwtTestKeys.Token(key, "ES384", time.GetUtcNow(), audience: Base + "/cds-services", issuer: issuer));
            using var response = await server.Client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Discover(keyA, JwtTestKeys.Issuer));
        Assert.Equal(HttpStatusCode.OK, await Discover(keyA, JwtTestKeys.Issuer));
        Assert.Equal(HttpStatusCode.Unauthorized, await Discover(keyA, JwtTestKeys.Issuer)); // A's share is full
        Assert.Equal(HttpStatusCode.Unauthorized, await Discover(keyA, JwtTestKeys.Issuer));
        Assert.Equal(HttpStatusCode.OK, await Discover(keyB, IssuerB));
        Assert.Equal(HttpStatusCode.OK, await Discover(keyB, IssuerB));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("ReplayCacheFull", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 300 && e.Message.Contains("Replayed", StringComparison.Ordinal));
        Assert.Single(server.Logs.Entries, e => e.EventId == 309 && e.Message.Contains(JwtTestKeys.Issuer, StringComparison.Ordinal)); // once a minute

        time.Advance(TimeSpan.FromMinutes(7)); // A's tokens (5 min + 60 s skew) have expired: its share is free again
        Assert.Equal(HttpStatusCode.OK, await Discover(keyA, JwtTestKeys.Issuer));
    }

    // ---- jku fetching (security review s12 #6), with the server's own JWKS client against a JWK Set on 127.0.0.1 ----

    [Fact]
    public async Task A_failing_jku_is_fetched_once_for_concurrent_calls_and_not_again_during_the_back_off()
    {
        await using var jwks = await FakeJwksServer.StartAsync();
        jwks.Routes["/jwks"] = (500, "", null);
        jwks.Delay = TimeSpan.FromMilliseconds(300);
        var (forger, _) = JwtTestKeys.NewEcKey("unknown-kid"); // no key needed: the fetch comes before the signature check
        var time = new ManualTimeProvider(Now);
        await using var server = await JkuServerAsync(jwks.Url("/jwks"), time);
        var jku = jwks.Url("/jwks");

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => DiscoverAsync(server, forger, time, jku)));
        Assert.All(concurrent, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(1, jwks.HitsOn("/jwks"));
        for (var i = 0; i < 8; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(server, forger, time, jku));
        Assert.Equal(1, jwks.HitsOn("/jwks"));
        Assert.Single(server.Logs.Entries, e => e.EventId == 302);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(server, forger, time, jku));
        Assert.Equal(2, jwks.HitsOn("/jwks"));
    }

    [Fact]
    public async Task A_jku_that_redirects_or_answers_too_much_gives_no_keys()
    {
        await using var jwks = await FakeJwksServer.StartAsync();
        var (key, set) = JwtTestKeys.NewEcKey("k-1");
        jwks.Routes["/jwks"] = (200, set, null);
        jwks.Routes["/moved"] = (302, "", "/jwks");
        var padded = System.Text.Json.Nodes.JsonNode.Parse(set)!;
        padded["padding"] = new string('x', 300 * 1024);
        jwks.Routes["/huge"] = (200, padded.ToJsonString(), null);
        var time = new ManualTimeProvider(Now);
        await using var server = await JkuServerAsync([jwks.Url("/moved"), jwks.Url("/huge"), jwks.Url("/jwks")], time);

        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(server, key, time, jwks.Url("/moved")));
        Assert.Equal(0, jwks.HitsOn("/jwks")); // the redirect was not followed
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(server, key, time, jwks.Url("/huge")));
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(server, key, time, jwks.Url("/jwks"))); // the same set, small and direct
    }

    [Fact]
    public async Task Keys_past_twice_the_cache_duration_are_not_used_when_their_refresh_fails()
    {
        await using var jwks = await FakeJwksServer.StartAsync();
        var (key, set) = JwtTestKeys.NewEcKey("k-1");
        jwks.Routes["/jwks"] = (200, set, null);
        var time = new ManualTimeProvider(Now);
        await using var server = await JkuServerAsync(jwks.Url("/jwks"), time); // JwksCacheDuration 10 min
        var jku = jwks.Url("/jwks");
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(server, key, time, jku));

        jwks.Routes["/jwks"] = (503, "", null); // the client's endpoint fails from now on (or is made to)
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.OK, await DiscoverAsync(server, key, time, jku)); // stale but within 20 min: still used
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.Unauthorized, await DiscoverAsync(server, key, time, jku)); // 21 min old: fail closed
        Assert.Equal(3, jwks.HitsOn("/jwks"));
    }

    private static Task<TestCdsServer> JkuServerAsync(string jku, TimeProvider time) => JkuServerAsync([jku], time);

    private static Task<TestCdsServer> JkuServerAsync(string[] jkus, TimeProvider time)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
        };
        for (var i = 0; i < jkus.Length; i++)
            settings[$"CdsHooks:Authentication:Issuers:0:JkuAllowlist:{i}"] = jkus[i];
        return TestCdsServer.StartAsync(settings, time);
    }

    private static async Task<HttpStatusCode> DiscoverAsync(TestCdsServer server, Microsoft.IdentityModel.Tokens.SecurityKey key, TimeProvider time, string jku)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cds-services");
        request.Headers.Authorization = new("Bearer", JwtTestKeys.Token(key, "ES384", time.GetUtcNow(), audience: Base + "/cds-services", jku: jku));
        using var response = await server.Client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_token_for_another_host_is_refused_whatever_Host_the_call_names()
    {
        // Security review s12 #3: a token whose aud is another CDS service with our path, sent with that service's Host.
        var (key, jwks) = JwtTestKeys.NewEcKey();
        await using var server = await JwtServerAsync(jwks);
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        using var forged = new HttpRequestMessage(HttpMethod.Post, service)
        {
            Content = new StringContent(CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch), System.Text.Encoding.UTF8, "application/json"),
        };
        forged.Headers.Host = "other-cds.example";
        forged.Headers.Authorization = new("Bearer", JwtTestKeys.Token(key, "ES384", Now, audience: "http://other-cds.example" + service));
        using (var response = await server.Client.SendAsync(forged))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(server.Risks.Requests);
    }

    [Fact]
    public void Without_a_configured_Audience_no_audience_is_valid_and_none_comes_from_Host()
    {
        // Start-up validation refuses Jwt without an Audience; the filter must not fall back to the caller's Host anyway.
        var filter = new CdsClientAuthenticationFilter(new CdsAuthenticationOptions(), null!, null!,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<CdsClientAuthenticationFilter>.Instance);
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Request.Scheme = "http";
        http.Request.Host = new Microsoft.AspNetCore.Http.HostString("other-cds.example");
        http.Request.Path = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        Assert.Empty(filter.Audiences(http.Request));
    }

    [Fact]
    public async Task LocalDemo_turns_authentication_off_with_a_warning()
    {
        await using var server = await TestCdsServer.StartAsync(); // the test server's default is LocalDemo
        using var response = await server.Client.GetAsync("/cds-services");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(server.Logs.Has(304));
    }

    [Theory]
    [InlineData("CdsHooks:Authentication:Mode", "LocalDemo", "CdsHooks:Host", "0.0.0.0")]
    [InlineData("CdsHooks:Authentication:Algorithms:0", "none", null, null)]
    [InlineData("CdsHooks:Authentication:Algorithms:0", "HS256", null, null)]
    [InlineData("CdsHooks:DefaultThreshold:Warning", "0.5", "CdsHooks:DefaultThreshold:Critical", "0.2")]
    [InlineData("CdsHooks:Authentication:Issuers:0:Issuer", "https://ehr.example.org", null, null)]
    [InlineData("CdsHooks:Links:0:Url", "not a url", null, null)]
    [InlineData("CdsHooks:Fhir:AttemptTimeout", "00:00:10", "CdsHooks:Fhir:TotalTimeout", "00:00:05")]
    // encounter-discharge asks at the discharge it makes: a stay-start task there would ask about no stay.
    [InlineData("CdsHooks:EncounterDischargeTasks:0", "hospital_mortality", null, null)]
    public async Task Settings_the_service_cannot_run_with_stop_it_at_start(string key, string value, string? key2, string? value2)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key2 is not null)
            settings[key2] = value2;
        await Assert.ThrowsAsync<OptionsValidationException>(() => TestCdsServer.StartAsync(settings));
    }

    [Theory]
    // Served on the HTTP listener (no port of its own), local-demo mode is bound by Http:Host, which the message must
    // name: CdsHooks:Host changes nothing then (walkthrough review s21 M4).
    [InlineData(null, "0.0.0.0", "127.0.0.1", "bind Http:Host to 127.0.0.1")]
    [InlineData(8093, "127.0.0.1", "0.0.0.0", "bind CdsHooks:Host to 127.0.0.1")]
    public void LocalDemo_on_an_open_listener_names_the_host_setting_that_binds_it(int? port, string httpHost, string cdsHost, string expected)
    {
        var configuration = Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(),
            new Dictionary<string, string?> { ["Http:Host"] = httpHost }).Build();
        var options = new CdsHooksOptions { Port = port, Host = cdsHost };
        options.Authentication.Mode = CdsAuthenticationMode.LocalDemo;

        var result = new CdsHooksOptionsValidator(configuration).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://ehr.example.org/jwks", false)] // review s24-cds L2: a key set in cleartext can be swapped in transit
    [InlineData("https://ehr.example.org/jwks", true)]
    [InlineData("http://127.0.0.1:8099/jwks", true)] // a key server on the host itself
    public async Task A_jku_must_be_https_unless_it_is_on_a_loopback_address(string jku, bool starts)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:JkuAllowlist:0"] = jku,
        };
        if (starts)
        {
            await using var server = await TestCdsServer.StartAsync(settings);
            return;
        }
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => TestCdsServer.StartAsync(settings));
        Assert.Contains("must be https", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"keys":[]}""")]
    public async Task A_JwksPath_that_holds_no_key_set_stops_the_service_at_start(string content)
    {
        // Review s24-cds L4: it was read only when a token came, and every token of the issuer was a silent 401.
        using var folder = new FhirRisk.Testing.TempDirectory();
        var path = folder.File("jwks.json");
        await File.WriteAllTextAsync(path, content);
        var settings = new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:JwksPath"] = path,
        };

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => TestCdsServer.StartAsync(settings));

        Assert.Contains("is not a readable JWK Set", refused.Message, StringComparison.Ordinal);
    }

    // Security review s12 #3: without an Audience the aud check would have followed the caller's Host header.
    [Fact]
    public async Task Jwt_mode_with_a_trusted_issuer_and_no_Audience_stops_at_start()
    {
        var (_, jwks) = JwtTestKeys.NewEcKey();
        await Assert.ThrowsAsync<OptionsValidationException>(() => TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = "",
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = jwks,
        }));
    }

    [Fact]
    public async Task Jwt_mode_with_no_trusted_issuer_starts_without_an_Audience_and_refuses_every_call()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = "",
        });

        using var response = await server.Client.GetAsync("/cds-services");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>A Jwt server with one place for calls, which a call waits up to <paramref name="queueTimeout"/> for.</summary>
    private static Task<TestCdsServer> OnePlaceServerAsync(string jwks, string queueTimeout, TimeProvider time) =>
        TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = jwks,
            ["CdsHooks:MaxConcurrentCalls"] = "1",
            ["CdsHooks:CallQueueTimeout"] = queueTimeout,
        }, time);

    /// <summary>A valid patient-view call that takes the place and stalls its body until <paramref name="release"/>.</summary>
    private static async Task<HttpResponseMessage> HoldThePlaceAsync(TestCdsServer server, SecurityKey key, Task release)
    {
        using var stalled = new HttpRequestMessage(HttpMethod.Post, PatientRisk) { Content = new StalledBody("{", PatientView[1..], release, "application/json") };
        stalled.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", JwtTestKeys.Token(key, "ES384", Now, audience: Base + PatientRisk));
        return await server.Client.SendAsync(stalled);
    }

    [Fact]
    public async Task A_client_s_feedback_on_its_own_card_reads_as_issued_and_a_server_without_a_card_key_says_so_at_start()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var service = $"/cds-services/{CdsServiceCatalog.PatientRiskId}";
        await using (var server = await JwtServerAsync(jwks))
            Assert.True(server.Logs.Has(216), "authentication on and no CdsHooks:CardUuidKey: warning 216");

        var cardKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var keyed = await JwtServerAsync(jwks, settings: new() { ["CdsHooks:CardUuidKey"] = cardKey });
        Assert.False(keyed.Logs.Has(216));
        using var answer = await keyed.PostJsonAsync(service, CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch),
            JwtTestKeys.Token(key, "ES384", Now, audience: Base + service));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using var cards = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var card = cards.RootElement.GetProperty("cards")[0].GetProperty("uuid").GetString();
        using (var feedback = await keyed.PostJsonAsync(service + "/feedback",
            $$"""{"feedback":[{"card":"{{card}}","outcome":"accepted","outcomeTimestamp":"2026-03-01T12:00:00Z"}]}""",
            JwtTestKeys.Token(key, "ES384", Now, audience: Base + service)))
            Assert.Equal(HttpStatusCode.OK, feedback.StatusCode);
        var stored = Assert.Single(keyed.Feedback.All());
        Assert.Equal((JwtTestKeys.Issuer, true), (stored.Issuer, stored.Issued));
        Assert.True(new CardUuids(Convert.FromBase64String(cardKey)).WasIssued(CdsServiceCatalog.PatientRiskId, new(JwtTestKeys.Issuer, null), card!));
    }

    private static Task<TestCdsServer> JwtServerAsync(string jwks, TimeProvider? time = null, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "Jwt",
            ["CdsHooks:Authentication:Audience"] = Base,
            ["CdsHooks:Authentication:Issuers:0:Issuer"] = JwtTestKeys.Issuer,
            ["CdsHooks:Authentication:Issuers:0:Jwks"] = jwks,
        };
        foreach (var (name, value) in settings ?? [])
            all[name] = value;
        return TestCdsServer.StartAsync(all, time ?? new ManualTimeProvider(Now));
    }
}
