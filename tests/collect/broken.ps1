# A script with the mistakes a hand edit makes: an unclosed block and an unclosed string.
param([switch]$Device)
if ($Device) {
    Write-Host 'collecting
$x = @(1, 2
