using FhirRisk.Meds;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// A model directory small enough for rollouts in milliseconds: a tokenizer fitted on generated hospital timelines
/// (admissions, labs, ICU stays, discharges home or dead, ED visits, gaps from minutes to months, so every task code
/// and most interval tokens are in the vocabulary) and a random GPT (1 layer, C = 16, T = 32) whose weights are
/// scaled up from GPT-2's initialisation so that logits vary by order 1 with the context. Built once per test run.
/// </summary>
internal static class TinyModel
{
    public const int ContextLength = 32;
    public const int Channels = 16;
    private static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc);
    private static readonly Lazy<(string Directory, TempDirectory Root)> s_model = new(Create);

    /// <summary>The model directory (config, weights, tokenizer).</summary>
    public static string Directory => s_model.Value.Directory;

    /// <summary>A scratch root that lives as long as the test run.</summary>
    public static string Root => s_model.Value.Root.Path;

    public static TimelineTokenizer Tokenizer => s_tokenizer.Value;

    private static readonly Lazy<TimelineTokenizer> s_tokenizer = new(() => TimelineTokenizer.Load(Directory));

    /// <summary>Subject <paramref name="id"/> of the generator, encoded as a live patient (no TIMELINE_END).</summary>
    public static EncodedTimeline Encode(long id, int stays = 3)
    {
        var timeline = Tokenizer.CreateBuffer();
        Tokenizer.Encode([.. Subject(id, stays).OrderBy(e => e.Time ?? DateTime.MinValue)], timeline, endTimeline: false);
        return timeline;
    }

    /// <summary>The session over the model with small rollout counts.</summary>
    public static InferenceSession Open(InferenceOptions? options = null) => InferenceSession.Open(Directory, options ?? new InferenceOptions { Threads = 1 });

    private static (string, TempDirectory) Create()
    {
        var root = new TempDirectory("fhirrisk-inference");
        // Built once per test run, so nothing disposes it but the end of the run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => root.Dispose();
        var meds = root.File("meds");
        using (var writer = new MedsDatasetWriter(meds))
        {
            for (var id = 1L; id <= 30; id++)
                writer.WriteSubject(id, Subject(id, stays: 4), MedsSchema.TrainSplit);
            writer.Complete();
        }
        // Input order, as the fixture's random weights and the seeds of the tests that read them were chosen with; the
        // canonical order's own tests are the tokenizer's (TieOrderTests), and the encoders do not depend on it.
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(meds), TokenizerSettings.Default with { TieOrder = TieOrder.Input });
        var directory = root.File("model");
        tokenizer.Save(directory);
        GptCheckpoint.Save(directory, RandomGpt(tokenizer.Vocabulary.Count, seed: 7));
        return (directory, root);
    }

    /// <summary>GPT-2 initialisation scaled by 10: still random, but far from uniform logits.</summary>
    public static GptParameters RandomGpt(int vocabulary, ulong seed)
    {
        var parameters = GptParameters.Initialize(new GptConfig(vocabulary, 1, 2, Channels, ContextLength), seed);
        for (var i = 0; i < parameters.Values.Length; i++)
            parameters.Values[i] *= 10;
        return parameters;
    }

    /// <summary>Stays of a few hours to a few weeks, months apart; some via the ED, some through the ICU, every fifth subject dies.</summary>
    public static IEnumerable<MedsEvent> Subject(long id, int stays)
    {
        var random = new Random((int)id);
        yield return new MedsEvent(id, null, id % 2 == 0 ? "GENDER//F" : "GENDER//M");
        yield return new MedsEvent(id, Start.AddYears(-40 - (int)id), MedsSchema.BirthCode);
        var time = Start.AddDays(id);
        for (var stay = 0; stay < stays; stay++)
        {
            if (random.Next(3) == 0)
            {
                yield return new MedsEvent(id, time, "ED_REGISTRATION");
                time = time.AddMinutes(random.Next(20, 300));
                yield return new MedsEvent(id, time, "ED_OUT");
                time = time.AddMinutes(random.Next(0, 60));
            }
            yield return new MedsEvent(id, time, "HOSPITAL_ADMISSION//IMP");
            var hours = random.Next(4, 24 * 20);
            for (var h = 0; h < hours; h += random.Next(1, 30))
            {
                yield return new MedsEvent(id, time.AddHours(h), random.Next(2) == 0 ? "LAB//A" : "LAB//B");
                if (h > 10 && random.Next(40) == 0)
                {
                    yield return new MedsEvent(id, time.AddHours(h).AddMinutes(7), "ICU_ADMISSION//MICU");
                    yield return new MedsEvent(id, time.AddHours(h + 20), "ICU_DISCHARGE");
                }
            }
            time = time.AddHours(hours);
            var dies = id % 5 == 0 && stay == stays - 1;
            yield return new MedsEvent(id, time, dies ? "HOSPITAL_DISCHARGE//DIED" : "HOSPITAL_DISCHARGE//HOME");
            if (dies)
            {
                yield return new MedsEvent(id, time.AddHours(3), "MEDS_DEATH");
                yield break;
            }
            time = time.AddDays(random.Next(2, 200));
        }
    }
}
