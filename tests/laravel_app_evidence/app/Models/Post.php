<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\BelongsTo;

class Post extends Entity
{
    protected $table = 'blog_posts';

    // team_id holds an organization: a teams table exists, but that is not what the code joins
    public function team(): BelongsTo
    {
        return $this->belongsTo(Organization::class, 'team_id');
    }
}
