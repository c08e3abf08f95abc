"""Target laravel: one anonymous-class migration for Laravel 8.37 to 12."""
