package pages

// ExactLayout is how the job pages write an exact time on the server
// (handlers' exactTime): in UTC, said so. exactTimeOf puts such a time in a
// <time datetime>, which the page shows in the browser's time zone.
const ExactLayout = "2 Jan 2006, 15:04:05 UTC"
