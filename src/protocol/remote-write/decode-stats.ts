/** What one decoded remote write request held; counts feed the Written headers and self-metrics. */
export interface DecodeStats {
  /** TimeSeries entries decoded. */
  series: number;
  /** Float samples. */
  samples: number;
  /** Native histogram samples. */
  histograms: number;
  exemplars: number;
}
