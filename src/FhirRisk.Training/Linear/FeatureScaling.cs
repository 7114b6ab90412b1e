namespace FhirRisk.Training.Linear;

/// <summary>
/// How features are scaled before the L2 penalty applies. The penalty ‖w‖² is not scale-invariant, so the scaling
/// decides which features the regularisation shrinks most. The model is always returned for the unscaled features.
/// </summary>
public enum FeatureScaling
{
    /// <summary>Features as given.</summary>
    None,

    /// <summary>x ↦ (x − mean) / std over the training rows (scikit-learn's StandardScaler, population std). The centring
    /// only moves the unpenalised intercept, so a sparse matrix is never densified: it is applied implicitly.</summary>
    Standardize,

    /// <summary>x ↦ x / max|x| over the training rows (scikit-learn's MaxAbsScaler, EHRSHOT's count-feature scaling,
    /// reference/peers.md §3.3); keeps counts non-negative and sparse.</summary>
    MaxAbs,
}
