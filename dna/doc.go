// Package dna holds STR DNA profiles and what a DNA database does with them: parse
// profiles from CSV, JSON and Type-18-style locus/allele strings; search a database with
// CODIS-style stringencies and the Prüm rules; compute random match probabilities
// (product rule and Balding–Nichols, NRC II 4.1 and 4.10); compute kinship likelihood
// ratios (parent–child with mutation, siblings, half siblings, cousins, trios with a
// known mother); and rank a database by kinship index for familial search.
//
// # Profiles
//
// A [Profile] is a set of [Genotype] values keyed by [Locus]. Loci have one canonical
// name and many aliases (vWA, VWA, HUMVWA31A; TH01, THO1; Penta D, PENTA_D, ...), see
// [LookupLocus]. An [Allele] is a repeat number with an optional microvariant digit
// (9.3, 13.2), an off-ladder value (<8, >24, OL), an Amelogenin X or Y, or the Prüm
// wildcard *. A single-source autosomal profile has at most two alleles per locus; a
// mixture may have more. Y-STR haplotypes are profiles of [YSTR] kind.
//
// # Statistics
//
// Frequency tables ([Table]) load from a long CSV/TSV format (population, locus,
// allele, freq or count, n) or from wide allele-by-locus tables of frequencies or counts
// (see [ReadTables]). Alleles rarer than 5/2N, or missing from a table, take the 5/2N
// floor of NRC II and the result says so in its warnings.
//
// # Search, kinship, familial search
//
// A [Database] indexes profiles (one posting list per locus and genotype) for
// [Database.Search] with [SearchOptions] (stringency, minimum loci, mismatches, Prüm
// rules) and for [Database.Familial], which ranks stored profiles by kinship index.
// [Kinship] and [Paternity] compute the LR of a claimed relationship in one population;
// [KinshipMin] and [PaternityMin] take the minimum over several.
//
// A node stores per DNA sample the profile ([Profile.MarshalBinary], versioned, or
// [Profile.MarshalJSON]) and, when known, the population label; at start it adds every
// stored profile to one Database, under the sample's ID.
//
// # Scores
//
// [Score] maps a random match probability to the project's calibrated scale,
// score = −10·log10(estimated false match rate), so a DNA hit can be fused with other
// modalities.
package dna
